import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE IF NOT EXISTS social_drafts (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      profile_id bigint NOT NULL REFERENCES social_profiles (id) ON DELETE CASCADE,
      channel text NOT NULL CONSTRAINT social_drafts_channel_check
        CHECK (channel IN ('bluesky_dm', 'mastodon_dm', 'webhook')),
      template text,
      body text NOT NULL CHECK (length(body) > 0),
      status text NOT NULL DEFAULT 'draft' CONSTRAINT social_drafts_status_check
        CHECK (status IN ('draft', 'approved', 'rejected', 'sent')),
      approved_by text,
      approved_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT social_drafts_approval_check CHECK (status <> 'approved' OR approved_at IS NOT NULL)
    )`
  yield* sql`CREATE INDEX IF NOT EXISTS social_drafts_profile_id_idx ON social_drafts (profile_id)`
  yield* sql`CREATE INDEX IF NOT EXISTS social_drafts_status_id_idx ON social_drafts (status, id DESC)`
})
