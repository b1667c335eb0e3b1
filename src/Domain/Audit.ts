import { Schema } from "effect"
import { Timestamp } from "./Timestamp.js"

/** What a person did through the API. Reads are not recorded, except a personal-data export. */
export const AuditAction = Schema.Literal(
  "discovery.start",
  "discovery.cancel",
  "profile.import",
  "profile.opt_out",
  "profile.replied",
  "profile.archive",
  "profile.erase",
  "profile.export",
  "draft.create",
  "draft.edit",
  "draft.approve",
  "draft.reject",
  "draft.delete",
  "message.send",
  "message.cancel",
  "message.retry",
  "suppression.add",
  "suppression.remove"
)
export type AuditAction = typeof AuditAction.Type

export const AuditSubject = Schema.Literal("discovery_job", "profile", "draft", "message", "suppression")
export type AuditSubject = typeof AuditSubject.Type

/**
 * Who did what, when, to which record. `detail` holds ids, counts and states only, never a person's data
 * (no handle, name, text or reason), so the audit can be kept whole when a person is erased.
 */
export const AuditRecord = Schema.Struct({
  id: Schema.Int,
  at: Timestamp,
  actor: Schema.String.annotations({ description: "The name of the API token used (API_TOKENS), operator or anonymous" }),
  action: AuditAction,
  subjectType: AuditSubject,
  subjectId: Schema.NullOr(Schema.Int),
  profileId: Schema.NullOr(Schema.Int).annotations({ description: "The person the record is about, when there is one" }),
  detail: Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean, Schema.Null) })
}).annotations({ identifier: "AuditRecord" })
export type AuditRecord = typeof AuditRecord.Type

/** A record about to be written: everything but its id and time. */
export interface AuditEntry {
  readonly actor: string
  readonly action: AuditAction
  readonly subjectType: AuditSubject
  readonly subjectId: number | null
  readonly profileId: number | null
  readonly detail?: Readonly<Record<string, string | number | boolean | null>>
}
