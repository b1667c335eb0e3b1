import { SqlClient, type SqlError } from "@effect/sql"
import { Effect, Schema } from "effect"
import { AuditRecord } from "../Domain/Audit.js"
import { Draft } from "../Domain/Draft.js"
import { MessageRow } from "../Domain/Message.js"
import { Platform } from "../Domain/Platform.js"
import { Profile, type ProfileId } from "../Domain/Profile.js"
import { Suppression } from "../Domain/Suppression.js"
import { mapSqlError } from "../Sql.js"
import { ErasedHandle, ErasedText, hashedPrefixOf } from "./Policy.js"

export interface PersonRow {
  readonly id: ProfileId
  readonly platform: Platform
  readonly handle: string
  readonly externalId: string
  readonly erasedAt: string | null
}

const profileColumns = `id, platform, external_id, handle, display_name, bio, location, url, avatar_url,
  followers_count, accepts_dms, status, source, discovery_job_id, first_seen_at, last_seen_at, created_at, updated_at, erased_at`

// Apart from the migration lock and the channels' locks.
const IngestionLockKey = 7_263_320_010

const ProfileWithRaw = Schema.Struct({ ...Profile.fields, raw: Schema.Unknown })

/** Reading and erasing one person's data across every table that holds it. */
export class ErasureRepo extends Effect.Service<ErasureRepo>()("Erasure/Repo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const db = <A, R>(effect: Effect.Effect<A, SqlError.SqlError, R>) => Effect.catchTag(effect, "SqlError", mapSqlError)

    // Ingestion holds this lock shared and an erasure exclusively, each until its transaction ends: a page of
    // profiles checked before an erasure commits cannot be written after it (and bring the person back).
    const lockForIngestion = sql`SELECT pg_advisory_xact_lock_shared(${IngestionLockKey})`.pipe(db, Effect.asVoid)
    const lockForErasure = sql`SELECT pg_advisory_xact_lock(${IngestionLockKey})`.pipe(db, Effect.asVoid)

    /** The profile, locked for the erasure. */
    const lock = Effect.fn("Erasure/Repo.lock")(function*(id: ProfileId) {
      const rows = yield* sql<PersonRow>`SELECT id, platform, handle, external_id, erased_at FROM social_profiles
        WHERE id = ${id} FOR UPDATE`.pipe(db)
      return rows[0]
    })

    /** Every profile of ours on `platform` whose handle or stable id is one of `identifiers` (lower case). */
    const samePerson = Effect.fn("Erasure/Repo.samePerson")(function*(platform: Platform, identifiers: ReadonlyArray<string>) {
      return yield* sql<PersonRow>`SELECT id, platform, handle, external_id, erased_at FROM social_profiles
        WHERE platform = ${platform} AND erased_at IS NULL
          AND (lower(handle) IN ${sql.in(identifiers)} OR lower(external_id) IN ${sql.in(identifiers)})
        ORDER BY id FOR UPDATE`.pipe(db)
    })

    /** Keeps the person on the suppression list as hashes only; their entries in clear are removed. */
    const suppressHashed = Effect.fn("Erasure/Repo.suppressHashed")(function*(
      platform: Platform,
      hashes: ReadonlyArray<string>,
      identifiers: ReadonlyArray<string>
    ) {
      yield* sql`DELETE FROM social_suppressions WHERE platform = ${platform} AND handle NOT LIKE 'hmac:%'
        AND (lower(handle) IN ${sql.in(identifiers)} OR lower(external_id) IN ${sql.in(identifiers)})`.pipe(db)
      yield* sql`INSERT INTO social_suppressions (platform, handle, external_id, reason)
        SELECT ${platform}, h, h, 'Erased on request (GDPR Art. 17): identifiers kept only as keyed hashes'
        FROM jsonb_array_elements_text(${JSON.stringify(hashes)}::jsonb) AS h
        ON CONFLICT (platform, lower(handle)) DO NOTHING`.pipe(db)
    })

    /**
     * Blanks every text of the people's drafts and messages and everything of their profiles but the row: it
     * stays, opted out, so their messages keep counting towards the caps and nobody drafts for them again.
     */
    const tombstone = Effect.fn("Erasure/Repo.tombstone")(function*(ids: ReadonlyArray<ProfileId>) {
      const drafts = yield* sql`UPDATE social_drafts SET body = ${ErasedText},
          rejected_reason = CASE WHEN status IN ('draft', 'approved') THEN 'The person asked to be erased' END,
          status = CASE WHEN status IN ('draft', 'approved') THEN 'rejected' ELSE status END,
          updated_at = now()
        WHERE profile_id IN ${sql.in(ids)} RETURNING id`.pipe(db)
      const messages = yield* sql`UPDATE social_messages SET body = ${ErasedText}, recipient = '', provider_message_id = NULL,
          conversation_id = NULL, error_detail = NULL,
          error_code = CASE WHEN status = 'queued' THEN 'opted_out' ELSE error_code END,
          status = CASE WHEN status = 'queued' THEN 'failed' ELSE status END,
          updated_at = now()
        WHERE profile_id IN ${sql.in(ids)} RETURNING id`.pipe(db)
      yield* sql`UPDATE social_profiles SET handle = ${ErasedHandle}, external_id = 'erased:' || id, display_name = NULL,
          bio = NULL, location = NULL, url = NULL, avatar_url = NULL, followers_count = NULL, accepts_dms = NULL,
          raw = '{}'::jsonb, status = 'opted_out', opted_out_at = coalesce(opted_out_at, now()), erased_at = now(),
          updated_at = now()
        WHERE id IN ${sql.in(ids)}`.pipe(db)
      return { drafts: drafts.length, messages: messages.length }
    })

    /** Are there entries hashed with another key than `keyId` (or with any key, when there is none)? */
    const foreignHashes = Effect.fn("Erasure/Repo.foreignHashes")(function*(keyId: string | undefined) {
      const rows = yield* sql<{ found: boolean }>`SELECT EXISTS (SELECT 1 FROM social_suppressions WHERE handle LIKE 'hmac:%'
        ${keyId === undefined ? sql`` : sql`AND handle NOT LIKE ${`${hashedPrefixOf(keyId)}%`}`}) AS found`.pipe(db)
      return rows[0]?.found === true
    })

    /** Which of `hashes` are on the suppression list, as `platform` + newline + hash. */
    const hashedEntries = Effect.fn("Erasure/Repo.hashedEntries")(function*(entries: ReadonlyArray<{ platform: Platform; hash: string }>) {
      if (entries.length === 0) return new Set<string>()
      const rows = yield* sql<{ platform: string; handle: string }>`SELECT s.platform, s.handle FROM social_suppressions s
        JOIN jsonb_to_recordset(${JSON.stringify(entries)}::jsonb) AS e(platform text, hash text)
          ON s.platform = e.platform AND lower(s.handle) = e.hash`.pipe(db)
      return new Set(rows.map((row) => `${row.platform}\n${row.handle}`))
    })

    const profileWithRaw = Effect.fn("Erasure/Repo.profileWithRaw")(function*(id: ProfileId) {
      const rows = yield* sql`SELECT ${sql.literal(profileColumns)}, raw FROM social_profiles WHERE id = ${id}`.pipe(db)
      return yield* Schema.decodeUnknown(Schema.Array(ProfileWithRaw))(rows).pipe(Effect.map((r) => r[0]), Effect.orDie)
    })

    /** Everything else held about the person: drafts, messages, entries in clear, and the audit about them. */
    const heldAbout = Effect.fn("Erasure/Repo.heldAbout")(function*(person: PersonRow, identifiers: ReadonlyArray<string>) {
      const drafts = yield* sql`SELECT id, profile_id, channel, template, body, status, approved_by, approved_at, rejected_reason,
          created_at, updated_at FROM social_drafts WHERE profile_id = ${person.id} ORDER BY id`.pipe(db)
      const messages = yield* sql`SELECT id, draft_id, profile_id, channel, recipient, body, status, attempts, provider_message_id,
          error_code, error_detail, next_attempt_at, queued_at, sent_at FROM social_messages WHERE profile_id = ${person.id} ORDER BY id`.pipe(db)
      const suppressions = identifiers.length === 0 ? [] : yield* sql`SELECT id, platform, handle, external_id, reason, created_at
        FROM social_suppressions WHERE platform = ${person.platform}
          AND (lower(handle) IN ${sql.in(identifiers)} OR lower(external_id) IN ${sql.in(identifiers)}) ORDER BY id`.pipe(db)
      const audit = yield* sql`SELECT id, at, actor, action, subject_type, subject_id, profile_id, detail FROM social_audit
        WHERE profile_id = ${person.id} ORDER BY id`.pipe(db)
      return yield* Effect.all({
        drafts: Schema.decodeUnknown(Schema.Array(Draft))(drafts),
        messages: Schema.decodeUnknown(Schema.Array(MessageRow))(messages),
        suppressions: Schema.decodeUnknown(Schema.Array(Suppression))(suppressions),
        audit: Schema.decodeUnknown(Schema.Array(AuditRecord))(audit)
      }).pipe(Effect.orDie)
    })

    return { lockForIngestion, lockForErasure, lock, samePerson, suppressHashed, tombstone, foreignHashes, hashedEntries, profileWithRaw, heldAbout } as const
  })
}) {}
