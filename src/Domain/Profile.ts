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

const Text = (max: number) => Schema.NullOr(Schema.String.pipe(Schema.maxLength(max)))

/** A profile as a provider or an import delivers it, before it is stored. */
export const ProfileInput = Schema.Struct({
  platform: Platform,
  externalId: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(512)),
  handle: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(512)),
  displayName: Text(512),
  bio: Text(10_000),
  location: Text(512),
  url: Text(2048),
  avatarUrl: Text(2048),
  followersCount: Schema.NullOr(Schema.Int.pipe(Schema.nonNegative())),
  acceptsDms: Schema.NullOr(Schema.Boolean),
  raw: Schema.Unknown
})
export type ProfileInput = typeof ProfileInput.Type

export class ProfileNotFound extends Schema.TaggedError<ProfileNotFound>()(
  "ProfileNotFound",
  { id: ProfileId, message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly of = (id: ProfileId) => new ProfileNotFound({ id, message: `No profile with id ${id}` })
}
