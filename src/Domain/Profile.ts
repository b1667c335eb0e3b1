import { HttpApiSchema } from "@effect/platform"
import { Model } from "@effect/sql"
import { Schema } from "effect"
import { Platform } from "./Platform.js"

export const ProfileId = Schema.Int.pipe(Schema.positive(), Schema.brand("ProfileId"))
export type ProfileId = typeof ProfileId.Type
export const ProfileIdFromString = Schema.NumberFromString.pipe(Schema.compose(ProfileId))

export const ProfileStatus = Schema.Literal("new", "contacted", "replied", "opted_out", "archived")
export type ProfileStatus = typeof ProfileStatus.Type

const NullableString = Schema.NullOr(Schema.String)

export class Profile extends Model.Class<Profile>("Profile")({
  id: Model.Generated(ProfileId),
  platform: Platform,
  externalId: Schema.String,
  handle: Schema.String,
  displayName: NullableString,
  bio: NullableString,
  location: NullableString,
  url: NullableString,
  avatarUrl: NullableString,
  followersCount: Schema.NullOr(Schema.Int),
  acceptsDms: Schema.NullOr(Schema.Boolean),
  status: ProfileStatus,
  firstSeenAt: Model.DateTimeInsertFromDate,
  lastSeenAt: Model.DateTimeInsertFromDate,
  createdAt: Model.DateTimeInsertFromDate,
  updatedAt: Model.DateTimeUpdateFromDate
}) {}

export class ProfileNotFound extends Schema.TaggedError<ProfileNotFound>()(
  "ProfileNotFound",
  { id: ProfileId, message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly of = (id: ProfileId) => new ProfileNotFound({ id, message: `No profile with id ${id}` })
}
