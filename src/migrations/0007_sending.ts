import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** What sending needs: one message per draft, our own key for providers that deduplicate, stored sessions. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE social_messages ADD COLUMN IF NOT EXISTS delivery_key text NOT NULL DEFAULT gen_random_uuid()::text`
  yield* sql`ALTER TABLE social_messages ADD COLUMN IF NOT EXISTS recipient text NOT NULL DEFAULT ''`
  yield* sql`ALTER TABLE social_messages ADD COLUMN IF NOT EXISTS sending_started_at timestamptz`
  yield* sql`ALTER TABLE social_messages ADD COLUMN IF NOT EXISTS conversation_id text`
  yield* sql`CREATE UNIQUE INDEX IF NOT EXISTS social_messages_draft_id_key ON social_messages (draft_id)`
  // When each channel may send next (minimum spacing plus a jitter drawn once per send), shared by all instances.
  yield* sql`
    CREATE TABLE IF NOT EXISTS social_channel_pacing (
      channel text PRIMARY KEY CHECK (channel IN ('bluesky_dm', 'mastodon_dm', 'webhook')),
      next_send_at timestamptz NOT NULL
    )`
  // A Bluesky session lives for hours; logging in again per message would hit the 30-per-5-minutes limit.
  yield* sql`
    CREATE TABLE IF NOT EXISTS social_sender_sessions (
      account text PRIMARY KEY,
      did text NOT NULL,
      access_jwt text NOT NULL,
      refresh_jwt text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
})
