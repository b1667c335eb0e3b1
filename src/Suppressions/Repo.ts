import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import type { Platform } from "../Domain/Platform.js"
import { Suppression } from "../Domain/Suppression.js"
import type { SuppressionKey } from "./Policy.js"
import { mapSqlError } from "../Sql.js"

const columns = "id, platform, handle, external_id, reason, created_at"

export interface SuppressionEntry extends SuppressionKey {
  readonly platform: Platform
  readonly reason: string | null
}

export class SuppressionsRepo extends Effect.Service<SuppressionsRepo>()("Suppressions/Repo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const decode = Schema.decodeUnknown(Schema.Array(Suppression))

    /**
     * Adds normalised entries, or refreshes ones already listed (handles match without case). An entry by
     * handle takes the stable id of a profile we hold under that handle, so a later change of handle does
     * not undo it.
     */
    const addMany = Effect.fn("Suppressions/Repo.addMany")(function*(entries: ReadonlyArray<SuppressionEntry>) {
      if (entries.length === 0) return []
      const json = JSON.stringify(entries.map((e) => ({ platform: e.platform, handle: e.handle, external_id: e.externalId, reason: e.reason })))
      const rows = yield* sql`
        INSERT INTO social_suppressions (platform, handle, external_id, reason)
        SELECT DISTINCT ON (e.platform, lower(e.handle)) e.platform, e.handle,
          coalesce(e.external_id, (SELECT p.external_id FROM social_profiles p
            WHERE p.platform = e.platform AND lower(p.handle) = lower(e.handle) ORDER BY p.id LIMIT 1)),
          e.reason
        FROM jsonb_to_recordset(${json}::jsonb) AS e(platform text, handle text, external_id text, reason text)
        ON CONFLICT (platform, lower(handle)) DO UPDATE
          SET reason = coalesce(EXCLUDED.reason, social_suppressions.reason),
            external_id = coalesce(social_suppressions.external_id, EXCLUDED.external_id)
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

    /** Removes an entry, unless an erasure made it; says which happened. */
    const remove = Effect.fn("Suppressions/Repo.remove")(function*(id: number) {
      const [row] = yield* sql<{ hashed: boolean }>`WITH entry AS (SELECT id, handle LIKE 'hmac:%' AS hashed FROM social_suppressions WHERE id = ${id}),
          removed AS (DELETE FROM social_suppressions WHERE id IN (SELECT id FROM entry WHERE NOT hashed) RETURNING id)
        SELECT hashed FROM entry`.pipe(Effect.catchTag("SqlError", mapSqlError))
      return row === undefined ? "missing" as const : row.hashed ? "protected" as const : "removed" as const
    })

    return { addMany, list, remove } as const
  })
}) {}
