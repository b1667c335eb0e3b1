import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { IdFromString } from "./Id.js"
import { ProfileId } from "./Profile.js"
import { Timestamp } from "./Timestamp.js"

export const DraftId = Schema.Int.pipe(Schema.positive(), Schema.brand("DraftId"))
export type DraftId = typeof DraftId.Type
export const DraftIdFromString = IdFromString.pipe(Schema.compose(DraftId))

export const Channel = Schema.Literal("bluesky_dm", "mastodon_dm", "webhook")
export type Channel = typeof Channel.Type

/** Drafts per request at most; larger campaigns are several requests, each one reviewable. */
export const MaxDraftsPerRequest = 500

export const DraftStatus = Schema.Literal("draft", "approved", "rejected", "sent")
export type DraftStatus = typeof DraftStatus.Type

/** Why a profile got no draft. */
export const SkipReason = Schema.Literal(
  "not_found",
  "opted_out",
  "already_contacted",
  "channel_unavailable",
  "missing_variable",
  "unknown_variable",
  "too_long",
  "draft_exists",
  "channel_not_configured",
  "archived"
)
export type SkipReason = typeof SkipReason.Type

export const Draft = Schema.Struct({
  id: DraftId,
  profileId: ProfileId,
  channel: Channel,
  template: Schema.NullOr(Schema.String),
  body: Schema.String,
  status: DraftStatus,
  approvedBy: Schema.NullOr(Schema.String),
  approvedAt: Schema.NullOr(Timestamp),
  rejectedReason: Schema.NullOr(Schema.String),
  createdAt: Timestamp,
  updatedAt: Timestamp
}).annotations({ identifier: "Draft" })
export type Draft = typeof Draft.Type

export class DraftNotFound extends Schema.TaggedError<DraftNotFound>()(
  "DraftNotFound",
  { id: DraftId, message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly of = (id: DraftId) => new DraftNotFound({ id, message: `No draft with id ${id}` })
}

/** The draft is not in a state that allows this (editing a sent draft, approving for an opted-out profile…). */
export class DraftConflict extends Schema.TaggedError<DraftConflict>()(
  "DraftConflict",
  { id: DraftId, status: DraftStatus, message: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** A draft body that breaks the channel's rules (too long, empty). */
export class DraftInvalid extends Schema.TaggedError<DraftInvalid>()(
  "DraftInvalid",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 422 })
) {}

/** A template that cannot be used for anyone: it does not parse, or names a variable no profile has. */
export class TemplateInvalid extends Schema.TaggedError<TemplateInvalid>()(
  "TemplateInvalid",
  {
    message: Schema.String,
    position: Schema.Int.annotations({ description: "0-based offset in the template where the problem starts" }),
    knownVariables: Schema.Array(Schema.String)
  },
  HttpApiSchema.annotations({ status: 400 })
) {}
