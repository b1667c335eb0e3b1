import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE IF NOT EXISTS social_profiles (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      platform text NOT NULL CONSTRAINT social_profiles_platform_check
        CHECK (platform IN ('bluesky', 'mastodon', 'github', 'linkedin')),
      external_id text NOT NULL CHECK (length(external_id) > 0),
      handle text NOT NULL CHECK (length(handle) > 0),
      display_name text,
      bio text,
      location text,
      url text,
      avatar_url text,
      followers_count integer CHECK (followers_count >= 0),
      accepts_dms boolean,
      status text NOT NULL DEFAULT 'new' CONSTRAINT social_profiles_status_check
        CHECK (status IN ('new', 'contacted', 'replied', 'opted_out', 'archived')),
      raw jsonb NOT NULL DEFAULT '{}'::jsonb,
      discovery_job_id bigint REFERENCES social_discovery_jobs (id) ON DELETE SET NULL,
      first_seen_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT social_profiles_platform_external_id_key UNIQUE (platform, external_id)
    )`
  // The list endpoint pages newest first by id, optionally within one platform or status.
  yield* sql`CREATE INDEX IF NOT EXISTS social_profiles_platform_id_idx ON social_profiles (platform, id DESC)`
  yield* sql`CREATE INDEX IF NOT EXISTS social_profiles_status_id_idx ON social_profiles (status, id DESC)`
  yield* sql`CREATE INDEX IF NOT EXISTS social_profiles_discovery_job_id_idx ON social_profiles (discovery_job_id)`
})
