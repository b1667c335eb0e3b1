import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE IF NOT EXISTS social_messages (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      draft_id bigint NOT NULL REFERENCES social_drafts (id) ON DELETE RESTRICT,
      profile_id bigint NOT NULL REFERENCES social_profiles (id) ON DELETE RESTRICT,
      channel text NOT NULL CONSTRAINT social_messages_channel_check
        CHECK (channel IN ('bluesky_dm', 'mastodon_dm', 'webhook')),
      body text NOT NULL,
      status text NOT NULL DEFAULT 'queued' CONSTRAINT social_messages_status_check
        CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
      idempotency_key text CONSTRAINT social_messages_idempotency_key_key UNIQUE,
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      provider_message_id text,
      error_code text,
      error_detail text,
      next_attempt_at timestamptz,
      lease_owner text,
      lease_expires_at timestamptz,
      queued_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT social_messages_sent_check CHECK (status <> 'sent' OR sent_at IS NOT NULL)
    )`
  yield* sql`CREATE INDEX IF NOT EXISTS social_messages_draft_id_idx ON social_messages (draft_id)`
  yield* sql`CREATE INDEX IF NOT EXISTS social_messages_profile_id_idx ON social_messages (profile_id)`
  // The sender claims due messages; daily caps count sent ones per channel.
  yield* sql`
    CREATE INDEX IF NOT EXISTS social_messages_due_idx ON social_messages (next_attempt_at NULLS FIRST, id)
      WHERE status IN ('queued', 'sending')`
  yield* sql`CREATE INDEX IF NOT EXISTS social_messages_channel_sent_at_idx ON social_messages (channel, sent_at)`
})
