import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { Platform } from "./Platform.js"
import { Timestamp } from "./Timestamp.js"

export const ProfileId = Schema.Int.pipe(Schema.positive(), Schema.brand("ProfileId"))
export type ProfileId = typeof ProfileId.Type
export const ProfileIdFromString = Schema.NumberFromString.pipe(Schema.compose(ProfileId))

export const ProfileStatus = Schema.Literal("new", "contacted", "replied", "opted_out", "archived")
export type ProfileStatus = typeof ProfileStatus.Type

const NullableString = Schema.NullOr(Schema.String)

/** A person found on a platform. */
export const Profile = Schema.Struct({
  id: ProfileId,
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
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp
}).annotations({ identifier: "Profile" })
export type Profile = typeof Profile.Type

export class ProfileNotFound extends Schema.TaggedError<ProfileNotFound>()(
  "ProfileNotFound",
  { id: ProfileId, message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly of = (id: ProfileId) => new ProfileNotFound({ id, message: `No profile with id ${id}` })
}
