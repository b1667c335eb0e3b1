import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { AuditRecord } from "./Audit.js"
import { Draft } from "./Draft.js"
import { MessageRow } from "./Message.js"
import { Profile, ProfileId } from "./Profile.js"
import { Suppression } from "./Suppression.js"
import { Timestamp } from "./Timestamp.js"

/** What an erasure removed, and what it kept so the person is never contacted again. */
export const ErasureReport = Schema.Struct({
  profileIds: Schema.Array(ProfileId).annotations({
    description: "The profiles erased: the one asked for, and any other of ours with the same handle or platform id"
  }),
  drafts: Schema.Int.annotations({ description: "Drafts whose text was removed (open ones withdrawn)" }),
  messages: Schema.Int.annotations({ description: "Messages whose text and recipient were removed; status and times stay for the caps" }),
  suppressionEntries: Schema.Int.annotations({ description: "Keyed hashes of the person's identifiers kept on the suppression list" }),
  alreadyErased: Schema.Boolean
}).annotations({ identifier: "ErasureReport" })
export type ErasureReport = typeof ErasureReport.Type

/** Everything held about one person (GDPR Art. 15), as JSON. */
export const ProfileExport = Schema.Struct({
  exportedAt: Timestamp,
  profile: Schema.Struct({ ...Profile.fields, raw: Schema.Unknown.annotations({ description: "The platform's payload as stored" }) }),
  drafts: Schema.Array(Draft),
  messages: Schema.Array(MessageRow),
  suppressions: Schema.Array(Suppression),
  audit: Schema.Array(AuditRecord)
}).annotations({ identifier: "ProfileExport" })
export type ProfileExport = typeof ProfileExport.Type

/**
 * Erasure needs `SUPPRESSION_KEY` (the key the erased people's identifiers are hashed with), and it is not set,
 * or it is not the key earlier erasures were made with.
 */
export class SuppressionKeyMissing extends Schema.TaggedError<SuppressionKeyMissing>()(
  "SuppressionKeyMissing",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}
