import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** What the discovery engine needs: retry budget and resumable state on jobs, provenance on profiles. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE social_discovery_jobs ADD COLUMN IF NOT EXISTS max_attempts integer NOT NULL DEFAULT 5`
  // Where the next page starts (provider cursor or offset), saved with every page so a new owner resumes there.
  yield* sql`ALTER TABLE social_discovery_jobs ADD COLUMN IF NOT EXISTS state jsonb NOT NULL DEFAULT '{}'::jsonb`
  yield* sql`ALTER TABLE social_profiles ADD COLUMN IF NOT EXISTS source text NOT NULL DEFAULT 'discovery'`
  yield* sql`ALTER TABLE social_profiles ADD COLUMN IF NOT EXISTS last_discovery_job_id bigint
    REFERENCES social_discovery_jobs (id) ON DELETE SET NULL`
  yield* sql`CREATE INDEX IF NOT EXISTS social_profiles_last_discovery_job_id_idx ON social_profiles (last_discovery_job_id)`
  // Expired leases are found by this index when an instance dies mid-job.
  yield* sql`CREATE INDEX IF NOT EXISTS social_discovery_jobs_lease_idx ON social_discovery_jobs (lease_expires_at)
    WHERE status = 'running'`
})
