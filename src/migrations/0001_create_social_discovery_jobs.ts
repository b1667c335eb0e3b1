import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE IF NOT EXISTS social_discovery_jobs (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      platform text NOT NULL CONSTRAINT social_discovery_jobs_platform_check
        CHECK (platform IN ('bluesky', 'mastodon', 'github', 'linkedin')),
      filters jsonb NOT NULL DEFAULT '{}'::jsonb,
      status text NOT NULL DEFAULT 'queued' CONSTRAINT social_discovery_jobs_status_check
        CHECK (status IN ('queued', 'running', 'rate_limited', 'succeeded', 'failed', 'cancelled')),
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      pages_fetched integer NOT NULL DEFAULT 0 CHECK (pages_fetched >= 0),
      profiles_found integer NOT NULL DEFAULT 0 CHECK (profiles_found >= 0),
      profiles_new integer NOT NULL DEFAULT 0 CHECK (profiles_new >= 0),
      last_error text,
      next_run_at timestamptz,
      lease_owner text,
      lease_expires_at timestamptz,
      started_at timestamptz,
      finished_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  // Workers look for runnable jobs; finished jobs stay out of this index.
  yield* sql`
    CREATE INDEX IF NOT EXISTS social_discovery_jobs_runnable_idx
      ON social_discovery_jobs (next_run_at NULLS FIRST, id)
      WHERE status IN ('queued', 'running', 'rate_limited')`
})
