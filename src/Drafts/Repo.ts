import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Schema } from "effect"
import { Channel, Draft, DraftId, DraftStatus } from "../Domain/Draft.js"
import { Platform } from "../Domain/Platform.js"
import { ProfileId, ProfileStatus } from "../Domain/Profile.js"
import { likePattern, mapSqlError, suppressedSql } from "../Sql.js"

const columns = `id, profile_id, channel, template, body, status, approved_by, approved_at, rejected_reason,
  created_at, updated_at`

/** A profile with everything that decides whether it may get a draft on a channel. */
export const Candidate = Schema.Struct({
  id: ProfileId,
  platform: Platform,
  handle: Schema.String,
  externalId: Schema.String,
  displayName: Schema.NullOr(Schema.String),
  bio: Schema.NullOr(Schema.String),
  location: Schema.NullOr(Schema.String),
  url: Schema.NullOr(Schema.String),
  acceptsDms: Schema.NullOr(Schema.Boolean),
  status: ProfileStatus,
  suppressed: Schema.Boolean,
  contacted: Schema.Boolean,
  openDraftId: Schema.NullOr(DraftId)
})
export type Candidate = typeof Candidate.Type

export interface CandidateQuery {
  readonly channel: Channel
  readonly profileIds?: ReadonlyArray<number> | undefined
  readonly platform?: Platform | undefined
  readonly status?: ProfileStatus | undefined
  readonly search?: string | undefined
  readonly eligibleOnly?: boolean | undefined
  readonly limit: number
}

export interface NewDraft {
  readonly profileId: ProfileId
  readonly channel: Channel
  readonly template: string
  readonly body: string
}


export class DraftsRepo extends Effect.Service<DraftsRepo>()("Drafts/Repo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const candidates = Effect.fn("Drafts/Repo.candidates")(function*(query: CandidateQuery) {
      const where = [
        query.profileIds !== undefined ? sql`p.id IN ${sql.in(query.profileIds)}` : undefined,
        query.platform !== undefined ? sql`p.platform = ${query.platform}` : undefined,
        query.status !== undefined ? sql`p.status = ${query.status}` : undefined,
        query.search !== undefined
          ? sql`(p.handle ILIKE ${likePattern(query.search)} OR p.display_name ILIKE ${likePattern(query.search)})`
          : undefined
      ].filter((condition) => condition !== undefined)
      // By filter, people who can never get a draft here are left out, so a campaign of many requests moves on
      // to new people instead of meeting the same first ineligible ones again.
      const eligible = query.eligibleOnly
        ? sql`WHERE NOT c.suppressed AND NOT c.contacted AND c.open_draft_id IS NULL
            AND c.status NOT IN ('opted_out', 'contacted', 'replied', 'archived')`
        : sql``
      const rows = yield* sql`
        SELECT * FROM (
          SELECT p.id, p.platform, p.handle, p.external_id, p.display_name, p.bio, p.location, p.url, p.accepts_dms, p.status,
            (p.opted_out_at IS NOT NULL OR ${sql.literal(suppressedSql)}) AS suppressed,
            (p.replied_at IS NOT NULL OR EXISTS (SELECT 1 FROM social_messages m WHERE m.profile_id = p.id)) AS contacted,
            (SELECT d.id FROM social_drafts d WHERE d.profile_id = p.id AND d.channel = ${query.channel}
              AND d.status IN ('draft', 'approved') ORDER BY d.id LIMIT 1) AS open_draft_id
          FROM social_profiles p
          ${where.length > 0 ? sql`WHERE ${sql.and(where)}` : sql``}
        ) c ${eligible}
        ORDER BY c.id LIMIT ${query.limit}`.pipe(Effect.catchTag("SqlError", mapSqlError))
      return yield* Schema.decodeUnknown(Schema.Array(Candidate))(rows).pipe(Effect.orDie)
    })

    const insertMany = Effect.fn("Drafts/Repo.insertMany")(function*(drafts: ReadonlyArray<NewDraft>) {
      if (drafts.length === 0) return []
      const json = JSON.stringify(drafts.map((d) => ({ profile_id: d.profileId, channel: d.channel, template: d.template, body: d.body })))
      // The people are locked while their drafts go in, and an erased one gets none: an erasure that commits
      // meanwhile either waits for these drafts (and blanks them) or is seen here.
      const rows = yield* sql`
        INSERT INTO social_drafts (profile_id, channel, template, body)
        SELECT d.profile_id, d.channel, d.template, d.body
        FROM jsonb_to_recordset(${json}::jsonb) AS d(profile_id bigint, channel text, template text, body text)
        JOIN social_profiles p ON p.id = d.profile_id AND p.erased_at IS NULL
        FOR SHARE OF p
        RETURNING ${sql.literal(columns)}`.pipe(Effect.catchTag("SqlError", mapSqlError))
      return yield* Schema.decodeUnknown(Schema.Array(Draft))(rows).pipe(Effect.orDie)
    })

    const byId = SqlSchema.findOne({
      Request: DraftId,
      Result: Draft,
      execute: (id) => sql`SELECT ${sql.literal(columns)} FROM social_drafts WHERE id = ${id}`
    })

    const findById = Effect.fn("Drafts/Repo.findById")(function*(id: DraftId) {
      return yield* byId(id).pipe(Effect.catchTags({ SqlError: mapSqlError, ParseError: Effect.die }))
    })

    const list = Effect.fn("Drafts/Repo.list")(function*(query: {
      readonly status?: DraftStatus | undefined
      readonly profileId?: ProfileId | undefined
      readonly after?: number | undefined
      readonly limit: number
    }) {
      const where = [
        query.status !== undefined ? sql`status = ${query.status}` : undefined,
        query.profileId !== undefined ? sql`profile_id = ${query.profileId}` : undefined,
        query.after !== undefined ? sql`id < ${query.after}` : undefined
      ].filter((condition) => condition !== undefined)
      const rows = yield* sql`SELECT ${sql.literal(columns)} FROM social_drafts
        ${where.length > 0 ? sql`WHERE ${sql.and(where)}` : sql``}
        ORDER BY id DESC LIMIT ${query.limit}`.pipe(Effect.catchTag("SqlError", mapSqlError))
      return yield* Schema.decodeUnknown(Schema.Array(Draft))(rows).pipe(Effect.orDie)
    })

    /**
     * Changes a draft only while it is in one of `from`; `None` when it was not (the caller says why).
     * The condition sits in the UPDATE itself, so two concurrent changes cannot both pass it.
     */
    const transition = Effect.fn("Drafts/Repo.transition")(function*(
      id: DraftId,
      from: ReadonlyArray<DraftStatus>,
      set: { readonly status?: DraftStatus; readonly body?: string; readonly approvedBy?: string | null; readonly rejectedReason?: string | null }
    ) {
      const assignments = [
        set.status !== undefined ? sql`status = ${set.status}` : undefined,
        set.body !== undefined ? sql`body = ${set.body}` : undefined,
        set.status === "approved" ? sql`approved_at = now(), approved_by = ${set.approvedBy ?? null}` : undefined,
        set.status === "draft" ? sql`approved_at = NULL, approved_by = NULL` : undefined,
        set.status === "rejected" ? sql`rejected_reason = ${set.rejectedReason ?? null}` : undefined,
        sql`updated_at = now()`
      ].filter((assignment) => assignment !== undefined)
      const rows = yield* sql`UPDATE social_drafts SET ${sql.csv(assignments)}
        WHERE id = ${id} AND status IN ${sql.in(from)}
        RETURNING ${sql.literal(columns)}`.pipe(Effect.catchTag("SqlError", mapSqlError))
      return yield* Schema.decodeUnknown(Schema.Array(Draft))(rows).pipe(
        Effect.map((drafts) => drafts[0]),
        Effect.orDie
      )
    })

    const remove = Effect.fn("Drafts/Repo.remove")(function*(id: DraftId) {
      const rows = yield* sql`DELETE FROM social_drafts WHERE id = ${id} AND status <> 'sent' RETURNING id`.pipe(
        Effect.catchTag("SqlError", mapSqlError)
      )
      return rows.length > 0
    })

    return { candidates, insertMany, findById, list, transition, remove } as const
  })
}) {}
