import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { type NewSuppression, Suppression } from "../Domain/Suppression.js"
import { mapSqlError } from "../Sql.js"

const columns = "id, platform, handle, reason, created_at"

export class SuppressionsRepo extends Effect.Service<SuppressionsRepo>()("Suppressions/Repo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const decode = Schema.decodeUnknown(Schema.Array(Suppression))

    /** Adds entries, or refreshes the reason of ones already listed (handles match without case). */
    const addMany = Effect.fn("Suppressions/Repo.addMany")(function*(entries: ReadonlyArray<NewSuppression>) {
      if (entries.length === 0) return []
      const json = JSON.stringify(entries.map((e) => ({ platform: e.platform, handle: e.handle, reason: e.reason ?? null })))
      const rows = yield* sql`
        INSERT INTO social_suppressions (platform, handle, reason)
        SELECT DISTINCT ON (e.platform, lower(e.handle)) e.platform, e.handle, e.reason
        FROM jsonb_to_recordset(${json}::jsonb) AS e(platform text, handle text, reason text)
        ON CONFLICT (platform, lower(handle)) DO UPDATE
          SET reason = coalesce(EXCLUDED.reason, social_suppressions.reason)
        RETURNING ${sql.literal(columns)}`.pipe(Effect.catchTag("SqlError", mapSqlError))
      return yield* decode(rows).pipe(Effect.orDie)
    })

    const list = Effect.fn("Suppressions/Repo.list")(function*(after: number | undefined, limit: number) {
      const rows = yield* sql`SELECT ${sql.literal(columns)} FROM social_suppressions
        ${after !== undefined ? sql`WHERE id < ${after}` : sql``} ORDER BY id DESC LIMIT ${limit}`.pipe(
        Effect.catchTag("SqlError", mapSqlError)
      )
      return yield* decode(rows).pipe(Effect.orDie)
    })

    const remove = Effect.fn("Suppressions/Repo.remove")(function*(id: number) {
      const rows = yield* sql`DELETE FROM social_suppressions WHERE id = ${id} RETURNING id`.pipe(
        Effect.catchTag("SqlError", mapSqlError)
      )
      return rows.length > 0
    })

    return { addMany, list, remove } as const
  })
}) {}
