import { SqlClient, SqlSchema } from "@effect/sql"
import { Duration, Effect, Schema } from "effect"
import { Platform } from "../Domain/Platform.js"
import { Profile, ProfileId, type ProfileInput, type ProfileSource, ProfileStatus } from "../Domain/Profile.js"
import { likePattern, mapSqlError } from "../Sql.js"

export const ProfileQuery = Schema.Struct({
  platform: Schema.optional(Platform),
  status: Schema.optional(ProfileStatus),
  search: Schema.optional(Schema.String),
  after: Schema.optional(ProfileId),
  limit: Schema.Int
})
export type ProfileQuery = typeof ProfileQuery.Type

const columns = `id, platform, external_id, handle, display_name, bio, location, url, avatar_url,
  followers_count, accepts_dms, status, source, discovery_job_id, first_seen_at, last_seen_at, created_at, updated_at, erased_at`

// The same columns named as the API names them: a row read this way is already a `Profile` as it is sent.
const apiColumns = columns.split(",").map((column) => {
  const name = column.trim()
  const camel = name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())
  return camel === name ? name : `${name} AS "${camel}"`
}).join(", ")

export class ProfilesRepo extends Effect.Service<ProfilesRepo>()("Profiles/Repo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // Renaming every field of every row in JavaScript was 6% of the list's CPU (profiled); SQL names them instead.
    const plain = sql.withoutTransforms()

    const byId = SqlSchema.findOne({
      Request: ProfileId,
      Result: Profile,
      execute: (id) => sql`SELECT ${sql.literal(columns)} FROM social_profiles WHERE id = ${id}`
    })

    // Rows are neither decoded nor re-encoded: the columns and their types are the `Profile` schema's
    // encoded form (test/ProfilesWire.test.ts holds it to that), so they are sent as PostgreSQL gives them.
    const page = (q: ProfileQuery) => {
      const where = [
        q.platform !== undefined ? plain`platform = ${q.platform}` : undefined,
        // Archived profiles are out of the lists unless asked for by status.
        q.status !== undefined ? plain`status = ${q.status}` : plain`status <> 'archived'`,
        q.search !== undefined
          ? plain`(handle ILIKE ${likePattern(q.search)} OR display_name ILIKE ${likePattern(q.search)})`
          : undefined,
        q.after !== undefined ? plain`id < ${q.after}` : undefined
      ].filter((condition) => condition !== undefined)
      return plain<typeof Profile.Encoded>`SELECT ${plain.literal(apiColumns)} FROM social_profiles
        ${where.length > 0 ? plain`WHERE ${plain.and(where)}` : plain``}
        ORDER BY id DESC LIMIT ${q.limit}`
    }

    const findById = Effect.fn("Profiles/Repo.findById")(function*(id: ProfileId) {
      return yield* byId(id).pipe(Effect.catchTags({ SqlError: mapSqlError, ParseError: Effect.die }))
    })

    /** Profiles newest first, strictly older than `after` when given. */
    const list = Effect.fn("Profiles/Repo.list")(function*(query: ProfileQuery) {
      return yield* page(query).pipe(Effect.catchTag("SqlError", mapSqlError))
    })

    /**
     * Inserts new profiles and refreshes known ones in one statement, matched on (platform, external id).
     * A known profile keeps its outreach status and its first provenance. Duplicates in one batch collapse
     * to the last one, as PostgreSQL cannot update one row twice in a statement.
     */
    const upsertMany = Effect.fn("Profiles/Repo.upsertMany")(function*(
      profiles: ReadonlyArray<ProfileInput>,
      provenance: { readonly source: ProfileSource; readonly jobId: number | null }
    ) {
      // Sorted by key, so two batches that overlap lock their rows in the same order and cannot deadlock.
      const unique = [...new Map(profiles.map((p) => [`${p.platform}\u0000${p.externalId}`, p])).entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, p]) => p)
      if (unique.length === 0) return { inserted: 0, updated: 0, rows: [] }
      const rows = unique.map((p) => ({
        platform: p.platform,
        external_id: p.externalId,
        handle: p.handle,
        display_name: p.displayName,
        bio: p.bio,
        location: p.location,
        url: p.url,
        avatar_url: p.avatarUrl,
        followers_count: p.followersCount,
        accepts_dms: p.acceptsDms,
        raw: p.raw ?? {}
      }))
      const result = yield* sql<{ id: ProfileId; inserted: boolean }>`
        INSERT INTO social_profiles (platform, external_id, handle, display_name, bio, location, url, avatar_url,
          followers_count, accepts_dms, raw, source, discovery_job_id, last_discovery_job_id)
        SELECT p.platform, p.external_id, p.handle, p.display_name, p.bio, p.location, p.url, p.avatar_url,
          p.followers_count, p.accepts_dms, coalesce(p.raw, '{}'::jsonb), ${provenance.source},
          ${provenance.jobId}::bigint, ${provenance.jobId}::bigint
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS p(platform text, external_id text, handle text,
          display_name text, bio text, location text, url text, avatar_url text, followers_count integer,
          accepts_dms boolean, raw jsonb)
        ON CONFLICT (platform, external_id) DO UPDATE SET
          handle = EXCLUDED.handle,
          display_name = coalesce(EXCLUDED.display_name, social_profiles.display_name),
          bio = coalesce(EXCLUDED.bio, social_profiles.bio),
          location = coalesce(EXCLUDED.location, social_profiles.location),
          url = coalesce(EXCLUDED.url, social_profiles.url),
          avatar_url = coalesce(EXCLUDED.avatar_url, social_profiles.avatar_url),
          followers_count = coalesce(EXCLUDED.followers_count, social_profiles.followers_count),
          accepts_dms = coalesce(EXCLUDED.accepts_dms, social_profiles.accepts_dms),
          raw = EXCLUDED.raw,
          last_discovery_job_id = coalesce(EXCLUDED.last_discovery_job_id, social_profiles.last_discovery_job_id),
          last_seen_at = now(),
          updated_at = now()
        RETURNING id, (xmax = 0) AS inserted`.pipe(Effect.catchTag("SqlError", mapSqlError))
      const inserted = result.filter((row) => row.inserted).length
      return { inserted, updated: result.length - inserted, rows: result }
    })

    /**
     * Marks the person opted out, puts them on the suppression list (which outlives the profile), and
     * withdraws their open drafts, in one transaction.
     */
    const optOut = Effect.fn("Profiles/Repo.optOut")(function*(
      id: ProfileId,
      reason: string | null,
      entryOf: (profile: { readonly platform: Platform; readonly handle: string; readonly externalId: string }) => {
        readonly handle: string
        readonly externalId: string | null
      }
    ) {
      return yield* sql.withTransaction(Effect.gen(function*() {
        const [profile] = yield* sql<{ platform: Platform; handle: string; externalId: string }>`
          UPDATE social_profiles SET status = 'opted_out', opted_out_at = coalesce(opted_out_at, now()), updated_at = now()
          WHERE id = ${id} RETURNING platform, handle, external_id`
        if (profile === undefined) return false
        const entry = entryOf(profile)
        yield* sql`INSERT INTO social_suppressions (platform, handle, external_id, reason)
          VALUES (${profile.platform}, ${entry.handle}, ${entry.externalId}, ${reason})
          ON CONFLICT (platform, lower(handle)) DO UPDATE SET reason = coalesce(EXCLUDED.reason, social_suppressions.reason),
            external_id = coalesce(EXCLUDED.external_id, social_suppressions.external_id)`
        yield* sql`UPDATE social_drafts SET status = 'rejected', rejected_reason = 'The person opted out', updated_at = now()
          WHERE profile_id = ${id} AND status IN ('draft', 'approved')`
        yield* sql`UPDATE social_messages SET status = 'failed', error_code = 'opted_out',
            error_detail = 'The person opted out before it was sent', updated_at = now()
          WHERE profile_id = ${id} AND status = 'queued'`
        return true
      })).pipe(Effect.catchTag("SqlError", mapSqlError))
    })

    /**
     * Out of the lists and of new drafts, open drafts withdrawn; messages, suppressions and the record of
     * opt-outs and replies stay. Archiving again changes nothing.
     */
    const archive = Effect.fn("Profiles/Repo.archive")(function*(id: ProfileId) {
      return yield* sql.withTransaction(Effect.gen(function*() {
        const rows = yield* sql`UPDATE social_profiles SET status = 'archived',
            updated_at = CASE WHEN status = 'archived' THEN updated_at ELSE now() END
          WHERE id = ${id} RETURNING id`
        if (rows.length === 0) return false
        yield* sql`UPDATE social_drafts SET status = 'rejected', rejected_reason = 'The profile was archived', updated_at = now()
          WHERE profile_id = ${id} AND status IN ('draft', 'approved')`
        return true
      })).pipe(Effect.catchTag("SqlError", mapSqlError))
    })

    /** The person answered: no follow-ups, and nothing still queued for them goes out. */
    const markReplied = Effect.fn("Profiles/Repo.markReplied")(function*(id: ProfileId) {
      const rows = yield* sql`UPDATE social_profiles SET replied_at = coalesce(replied_at, now()),
          status = CASE WHEN status = 'opted_out' THEN status ELSE 'replied' END, updated_at = now()
        WHERE id = ${id} RETURNING id`.pipe(Effect.catchTag("SqlError", mapSqlError))
      return rows.length > 0
    })

    /**
     * Empties the raw platform payload of up to `limit` profiles not seen for `olderThan`, oldest first; returns
     * how many. Rows another instance is pruning are skipped, not waited for.
     */
    const pruneRaw = Effect.fn("Profiles/Repo.pruneRaw")(function*(olderThan: Duration.Duration, limit: number) {
      const rows = yield* sql`UPDATE social_profiles SET raw = '{}'::jsonb WHERE id IN (
          SELECT id FROM social_profiles
          WHERE raw <> '{}'::jsonb AND last_seen_at < now() - ${Math.round(Duration.toMillis(olderThan))} * interval '1 millisecond'
          ORDER BY last_seen_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING id`.pipe(Effect.catchTag("SqlError", mapSqlError))
      return rows.length
    })

    return { findById, list, upsertMany, optOut, markReplied, archive, pruneRaw } as const
  })
}) {}
