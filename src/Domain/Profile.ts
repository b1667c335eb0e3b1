import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { Count32, MaxInt32, storable, storableJson, Text } from "./Text.js"
import { DiscoveryJobId } from "./DiscoveryJob.js"
import { IdFromString } from "./Id.js"
import { Platform } from "./Platform.js"
import { Timestamp } from "./Timestamp.js"

export const ProfileId = Schema.Int.pipe(Schema.positive(), Schema.brand("ProfileId"))
export type ProfileId = typeof ProfileId.Type
export const ProfileIdFromString = IdFromString.pipe(Schema.compose(ProfileId))

export const ProfileStatus = Schema.Literal("new", "contacted", "replied", "opted_out", "archived")
export type ProfileStatus = typeof ProfileStatus.Type

/** How a person came in: found by a discovery job, or imported from a file. */
export const ProfileSource = Schema.Literal("discovery", "import")
export type ProfileSource = typeof ProfileSource.Type

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
  source: ProfileSource,
  discoveryJobId: Schema.NullOr(DiscoveryJobId).annotations({
    description: "The discovery job that first found them; null for an import, or once that job is deleted"
  }),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  erasedAt: Schema.NullOr(Timestamp).annotations({
    description: "Set when the person was erased on request: the profile holds none of their data any more"
  })
}).annotations({ identifier: "Profile" })
export type Profile = typeof Profile.Type

const Optional = (max: number) => Schema.NullOr(Text.pipe(Schema.maxLength(max)))

/** A profile as a provider or an import delivers it, before it is stored. */
export const ProfileInput = Schema.Struct({
  platform: Platform,
  externalId: Text.pipe(Schema.minLength(1), Schema.maxLength(512)),
  handle: Text.pipe(Schema.minLength(1), Schema.maxLength(512)),
  displayName: Optional(512),
  bio: Optional(10_000),
  location: Optional(512),
  url: Optional(2048),
  avatarUrl: Optional(2048),
  followersCount: Schema.NullOr(Count32),
  acceptsDms: Schema.NullOr(Schema.Boolean),
  raw: Schema.Unknown
})
export type ProfileInput = typeof ProfileInput.Type

const storableOrNull = (text: string | null) => (text === null ? null : storable(text))

/** A profile as a platform sent it, made storable: text PostgreSQL accepts, counts that fit their column. */
export const storableProfile = (profile: ProfileInput): ProfileInput => ({
  ...profile,
  externalId: storable(profile.externalId),
  handle: storable(profile.handle),
  displayName: storableOrNull(profile.displayName),
  bio: storableOrNull(profile.bio),
  location: storableOrNull(profile.location),
  url: storableOrNull(profile.url),
  avatarUrl: storableOrNull(profile.avatarUrl),
  followersCount: profile.followersCount === null ? null : Math.min(Math.max(0, Math.round(profile.followersCount)), MaxInt32),
  raw: storableJson(profile.raw)
})

export class ProfileNotFound extends Schema.TaggedError<ProfileNotFound>()(
  "ProfileNotFound",
  { id: ProfileId, message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly of = (id: ProfileId) => new ProfileNotFound({ id, message: `No profile with id ${id}` })
}
