import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { type AuditAction, type AuditEntry, AuditRecord, type AuditSubject } from "../Domain/Audit.js"
import { mapSqlError } from "../Sql.js"

const columns = "id, at, actor, action, subject_type, subject_id, profile_id, detail"

export interface AuditQuery {
  readonly actor?: string | undefined
  readonly action?: AuditAction | undefined
  readonly subjectType?: AuditSubject | undefined
  readonly subjectId?: number | undefined
  readonly profileId?: number | undefined
  readonly after?: number | undefined
  readonly limit: number
}

export class AuditRepo extends Effect.Service<AuditRepo>()("Audit/Repo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const decode = Schema.decodeUnknown(Schema.Array(AuditRecord))

    const insertMany = Effect.fn("Audit/Repo.insertMany")(function*(entries: ReadonlyArray<AuditEntry>) {
      if (entries.length === 0) return
      const json = JSON.stringify(entries.map((e) => ({
        actor: e.actor,
        action: e.action,
        subject_type: e.subjectType,
        subject_id: e.subjectId,
        profile_id: e.profileId,
        detail: e.detail ?? {}
      })))
      yield* sql`INSERT INTO social_audit (actor, action, subject_type, subject_id, profile_id, detail)
        SELECT e.actor, e.action, e.subject_type, e.subject_id, e.profile_id, e.detail
        FROM jsonb_to_recordset(${json}::jsonb) AS e(actor text, action text, subject_type text, subject_id bigint,
          profile_id bigint, detail jsonb)`.pipe(Effect.catchTag("SqlError", mapSqlError))
    })

    /** Newest first, strictly older than `after` when given. */
    const list = Effect.fn("Audit/Repo.list")(function*(query: AuditQuery) {
      const where = [
        query.actor !== undefined ? sql`actor = ${query.actor}` : undefined,
        query.action !== undefined ? sql`action = ${query.action}` : undefined,
        query.subjectType !== undefined ? sql`subject_type = ${query.subjectType}` : undefined,
        query.subjectId !== undefined ? sql`subject_id = ${query.subjectId}` : undefined,
        query.profileId !== undefined ? sql`profile_id = ${query.profileId}` : undefined,
        query.after !== undefined ? sql`id < ${query.after}` : undefined
      ].filter((condition) => condition !== undefined)
      const rows = yield* sql`SELECT ${sql.literal(columns)} FROM social_audit
        ${where.length > 0 ? sql`WHERE ${sql.and(where)}` : sql``}
        ORDER BY id DESC LIMIT ${query.limit}`.pipe(Effect.catchTag("SqlError", mapSqlError))
      return yield* decode(rows).pipe(Effect.orDie)
    })

    return { insertMany, list } as const
  })
}) {}
