import { HttpApiSchema } from "@effect/platform"
import { Either, Schema } from "effect"
import { normaliseSuppression } from "../Suppressions/Policy.js"
import { Text, TrimmedText } from "./Text.js"
import { Platform } from "./Platform.js"
import { Timestamp } from "./Timestamp.js"

/** Somebody who must not be contacted on a platform, whether or not we hold a profile for them. */
export const Suppression = Schema.Struct({
  id: Schema.Int,
  platform: Platform,
  handle: Schema.String,
  externalId: Schema.NullOr(Schema.String),
  reason: Schema.NullOr(Schema.String),
  createdAt: Timestamp
}).annotations({ identifier: "Suppression" })
export type Suppression = typeof Suppression.Type

export const NewSuppression = Schema.Struct({
  platform: Platform,
  handle: TrimmedText.pipe(Schema.minLength(1), Schema.maxLength(512)).annotations({
    description: "A handle with or without @ (any case), a Bluesky DID, a Mastodon user@host, a GitHub login or user id, or a profile URL"
  }),
  reason: Schema.optional(Text.pipe(Schema.maxLength(1000)))
}).pipe(
  // Something that names nobody would be stored and match nobody: refuse it, naming the field.
  Schema.filter((entry) =>
    Either.match(normaliseSuppression(entry.platform, entry.handle), {
      onLeft: (message) => ({ path: ["handle"], message }),
      onRight: () => true
    })
  ),
  Schema.annotations({ identifier: "NewSuppression" })
)
export type NewSuppression = typeof NewSuppression.Type

export class SuppressionNotFound extends Schema.TaggedError<SuppressionNotFound>()(
  "SuppressionNotFound",
  { id: Schema.Int, message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/** An entry left by an erasure: the only thing that keeps an erased person from being stored again. */
export class SuppressionProtected extends Schema.TaggedError<SuppressionProtected>()(
  "SuppressionProtected",
  { id: Schema.Int, message: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}
