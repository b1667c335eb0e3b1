import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { TrimmedText } from "./Text.js"
import { IdFromString } from "./Id.js"
import { Platform } from "./Platform.js"
import { Timestamp } from "./Timestamp.js"

export const DiscoveryJobId = Schema.Int.pipe(Schema.positive(), Schema.brand("DiscoveryJobId"))
export type DiscoveryJobId = typeof DiscoveryJobId.Type
export const DiscoveryJobIdFromString = IdFromString.pipe(Schema.compose(DiscoveryJobId))

export const DiscoveryJobStatus = Schema.Literal("queued", "running", "rate_limited", "succeeded", "failed", "cancelled")
export type DiscoveryJobStatus = typeof DiscoveryJobStatus.Type

// Unknown filter keys are rejected rather than ignored: a typo must not silently widen a search.
const strict = { parseOptions: { onExcessProperty: "error" } } as const

/** How many profiles a job collects when its filters set no `limit`. */
export const DefaultDiscoveryLimit = 100

const SearchText = TrimmedText.pipe(Schema.minLength(1), Schema.maxLength(256))
const Limit = Schema.Int.pipe(Schema.between(1, 1000))
const Count = Schema.Int.pipe(Schema.nonNegative())
const Hostname = Schema.String.pipe(
  Schema.pattern(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i, {
    message: () => "Expected a host name such as mastodon.social"
  })
)
const IsoDate = Schema.String.pipe(
  Schema.pattern(/^\d{4}-\d{2}-\d{2}$/, { message: () => "Expected a date as YYYY-MM-DD" })
)

export const BlueskyFilters = Schema.Struct({
  query: SearchText,
  limit: Schema.optional(Limit)
}).annotations({ ...strict, identifier: "BlueskyFilters" })

export const MastodonFilters = Schema.Struct({
  instance: Schema.optional(Hostname),
  mode: Schema.optional(Schema.Literal("search", "directory")),
  query: Schema.optional(SearchText),
  limit: Schema.optional(Limit)
}).pipe(
  Schema.filter((f) => f.mode === "directory" || f.query !== undefined || "query is required unless mode is directory"),
  Schema.annotations({ ...strict, identifier: "MastodonFilters" })
)

export const GithubFilters = Schema.Struct({
  query: Schema.optional(SearchText),
  location: Schema.optional(SearchText),
  language: Schema.optional(SearchText),
  minFollowers: Schema.optional(Count),
  minRepos: Schema.optional(Count),
  createdAfter: Schema.optional(IsoDate),
  limit: Schema.optional(Limit)
}).pipe(
  Schema.filter((f) =>
    [f.query, f.location, f.language, f.minFollowers, f.minRepos, f.createdAfter].some((v) => v !== undefined) ||
    "at least one of query, location, language, minFollowers, minRepos, createdAfter is required"
  ),
  Schema.annotations({ ...strict, identifier: "GithubFilters" })
)

export const LinkedinFilters = Schema.Struct({}).annotations({ ...strict, identifier: "LinkedinFilters" })

const request = <P extends Platform, F extends Schema.Struct.Field>(platform: P, filters: F) =>
  Schema.Struct({ platform: Schema.Literal(platform), filters }).annotations(strict)

export const DiscoverRequest = Schema.Union(
  request("bluesky", BlueskyFilters),
  request("mastodon", MastodonFilters),
  request("github", GithubFilters),
  request("linkedin", Schema.optional(LinkedinFilters))
).annotations({ identifier: "DiscoverRequest" })
export type DiscoverRequest = typeof DiscoverRequest.Type

const NullableTimestamp = Schema.NullOr(Timestamp)

/** A discovery job and its progress. */
export const DiscoveryJob = Schema.Struct({
  id: DiscoveryJobId,
  platform: Platform,
  filters: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  status: DiscoveryJobStatus,
  attempts: Count,
  pagesFetched: Count,
  profilesFound: Count,
  profilesNew: Count,
  maxAttempts: Count,
  lastError: Schema.NullOr(Schema.String),
  nextRunAt: NullableTimestamp,
  startedAt: NullableTimestamp,
  finishedAt: NullableTimestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp
}).annotations({ identifier: "DiscoveryJob" })
export type DiscoveryJob = typeof DiscoveryJob.Type

export class DiscoveryJobNotFound extends Schema.TaggedError<DiscoveryJobNotFound>()(
  "DiscoveryJobNotFound",
  { id: DiscoveryJobId, message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly of = (id: DiscoveryJobId) =>
    new DiscoveryJobNotFound({ id, message: `No discovery job with id ${id}` })
}

/** The job has already finished: it cannot be cancelled. */
export class DiscoveryJobFinished extends Schema.TaggedError<DiscoveryJobFinished>()(
  "DiscoveryJobFinished",
  { id: DiscoveryJobId, status: DiscoveryJobStatus, message: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}
