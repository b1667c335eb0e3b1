import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Idempotency keys bound on first use, suppressions matched by stable id, job listings. Additive only: the
 * previous version keeps serving while this runs.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // A key names one draft for good, whatever became of the draft or its message (cancelled, failed, retried,
  // deleted): no foreign key, so the binding outlives them.
  yield* sql`
    CREATE TABLE IF NOT EXISTS social_idempotency_keys (
      key text PRIMARY KEY,
      draft_id bigint NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`INSERT INTO social_idempotency_keys (key, draft_id)
    SELECT idempotency_key, draft_id FROM social_messages WHERE idempotency_key IS NOT NULL
    ON CONFLICT (key) DO NOTHING`
  // Entries stored as typed before handles were normalised: "@name" and DIDs kept in the handle column.
  yield* sql`DELETE FROM social_suppressions a WHERE a.platform IN ('bluesky', 'mastodon', 'github') AND a.handle LIKE '@%'
    AND EXISTS (SELECT 1 FROM social_suppressions b WHERE b.platform = a.platform AND b.id <> a.id
      AND lower(b.handle) = lower(ltrim(a.handle, '@')))`
  yield* sql`UPDATE social_suppressions SET handle = ltrim(handle, '@')
    WHERE platform IN ('bluesky', 'mastodon', 'github') AND handle LIKE '@%' AND length(ltrim(handle, '@')) > 0`
  yield* sql`UPDATE social_suppressions SET external_id = handle
    WHERE platform = 'bluesky' AND handle LIKE 'did:%' AND external_id IS NULL`
  yield* sql`CREATE INDEX IF NOT EXISTS social_suppressions_platform_external_id_idx
    ON social_suppressions (platform, external_id) WHERE external_id IS NOT NULL`
  // GET /discover lists jobs newest first, by status or platform.
  yield* sql`CREATE INDEX IF NOT EXISTS social_discovery_jobs_status_id_idx ON social_discovery_jobs (status, id DESC)`
  yield* sql`CREATE INDEX IF NOT EXISTS social_discovery_jobs_platform_id_idx ON social_discovery_jobs (platform, id DESC)`
})
