import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Schema } from "effect"
import { Platform } from "../Domain/Platform.js"
import { Profile, ProfileId, ProfileStatus } from "../Domain/Profile.js"
import { mapSqlError } from "../Sql.js"

export const ProfileQuery = Schema.Struct({
  platform: Schema.optional(Platform),
  status: Schema.optional(ProfileStatus),
  search: Schema.optional(Schema.String),
  after: Schema.optional(ProfileId),
  limit: Schema.Int
})
export type ProfileQuery = typeof ProfileQuery.Type

const columns = `id, platform, external_id, handle, display_name, bio, location, url, avatar_url,
  followers_count, accepts_dms, status, first_seen_at, last_seen_at, created_at, updated_at`

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

export class ProfilesRepo extends Effect.Service<ProfilesRepo>()("Profiles/Repo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const byId = SqlSchema.findOne({
      Request: ProfileId,
      Result: Profile,
      execute: (id) => sql`SELECT ${sql.literal(columns)} FROM social_profiles WHERE id = ${id}`
    })

    // Rows are not decoded here: the response schema validates every one of them on the way out, and
    // checking each row twice costs a third of the list endpoint's throughput.
    const page = (q: ProfileQuery) => {
      const where = [
        q.platform !== undefined ? sql`platform = ${q.platform}` : undefined,
        q.status !== undefined ? sql`status = ${q.status}` : undefined,
        q.search !== undefined
          ? sql`(handle ILIKE ${likePattern(q.search)} OR display_name ILIKE ${likePattern(q.search)})`
          : undefined,
        q.after !== undefined ? sql`id < ${q.after}` : undefined
      ].filter((condition) => condition !== undefined)
      return sql<Profile>`SELECT ${sql.literal(columns)} FROM social_profiles
        ${where.length > 0 ? sql`WHERE ${sql.and(where)}` : sql``}
        ORDER BY id DESC LIMIT ${q.limit}`
    }

    const findById = Effect.fn("Profiles/Repo.findById")(function*(id: ProfileId) {
      return yield* byId(id).pipe(Effect.catchTags({ SqlError: mapSqlError, ParseError: Effect.die }))
    })

    /** Profiles newest first, strictly older than `after` when given. */
    const list = Effect.fn("Profiles/Repo.list")(function*(query: ProfileQuery) {
      return yield* page(query).pipe(Effect.catchTag("SqlError", mapSqlError))
    })

    return { findById, list } as const
  })
}) {}
