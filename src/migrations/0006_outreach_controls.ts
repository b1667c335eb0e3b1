import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** Opt-outs and replies: who must not be contacted (again). */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE IF NOT EXISTS social_suppressions (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      platform text NOT NULL CONSTRAINT social_suppressions_platform_check
        CHECK (platform IN ('bluesky', 'mastodon', 'github', 'linkedin')),
      handle text NOT NULL CHECK (length(handle) > 0),
      -- The platform's stable id when known (a Bluesky DID survives a change of handle).
      external_id text,
      reason text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`
  // Handles are matched without regard to case, as the platforms do.
  yield* sql`CREATE UNIQUE INDEX IF NOT EXISTS social_suppressions_platform_handle_key
    ON social_suppressions (platform, lower(handle))`
  yield* sql`ALTER TABLE social_profiles ADD COLUMN IF NOT EXISTS opted_out_at timestamptz`
  yield* sql`ALTER TABLE social_profiles ADD COLUMN IF NOT EXISTS replied_at timestamptz`
  yield* sql`ALTER TABLE social_drafts ADD COLUMN IF NOT EXISTS rejected_reason text`
})
