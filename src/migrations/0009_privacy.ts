import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Who did what (the audit), and what erasing a person needs. Additive only: the previous version keeps
 * serving while this runs.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // No foreign keys: the record of who did what outlives the records it is about.
  yield* sql`
    CREATE TABLE IF NOT EXISTS social_audit (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor text NOT NULL CHECK (length(actor) > 0),
      action text NOT NULL CONSTRAINT social_audit_action_check CHECK (action IN (
        'discovery.start', 'discovery.cancel', 'profile.import', 'profile.opt_out', 'profile.replied', 'profile.archive',
        'profile.erase', 'profile.export', 'draft.create', 'draft.edit', 'draft.approve', 'draft.reject', 'draft.delete',
        'message.send', 'message.cancel', 'message.retry', 'suppression.add', 'suppression.remove')),
      subject_type text NOT NULL CONSTRAINT social_audit_subject_type_check
        CHECK (subject_type IN ('discovery_job', 'profile', 'draft', 'message', 'suppression')),
      subject_id bigint,
      profile_id bigint,
      detail jsonb NOT NULL DEFAULT '{}'::jsonb
    )`
  yield* sql`CREATE INDEX IF NOT EXISTS social_audit_profile_id_idx ON social_audit (profile_id, id DESC) WHERE profile_id IS NOT NULL`
  yield* sql`CREATE INDEX IF NOT EXISTS social_audit_actor_id_idx ON social_audit (actor, id DESC)`
  // An erased profile stays as a tombstone (its messages count towards the caps); this says it was erased.
  yield* sql`ALTER TABLE social_profiles ADD COLUMN IF NOT EXISTS erased_at timestamptz`
  // Raw payloads past RAW_RETENTION are pruned oldest first.
  yield* sql`CREATE INDEX IF NOT EXISTS social_profiles_raw_seen_idx ON social_profiles (last_seen_at) WHERE raw <> '{}'::jsonb`
})
