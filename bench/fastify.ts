// A minimal Fastify + pg baseline serving GET /api/social/profiles like the service does.
import Fastify from "fastify"
import pg from "pg"
import { timestampFromPostgres } from "../src/Domain/Timestamp.js"

interface ProfileRow {
  id: string
  platform: string
  external_id: string
  handle: string
  display_name: string | null
  bio: string | null
  location: string | null
  url: string | null
  avatar_url: string | null
  followers_count: number | null
  accepts_dms: boolean | null
  status: string
  source: string
  discovery_job_id: string | null
  first_seen_at: string
  last_seen_at: string
  created_at: string
  updated_at: string
  erased_at: string | null
}

const columns = `id, platform, external_id, handle, display_name, bio, location, url, avatar_url,
  followers_count, accepts_dms, status, source, discovery_job_id, first_seen_at, last_seen_at, created_at, updated_at, erased_at`

// The same timestamp text as the service serves, so both answer with identical JSON.
pg.types.setTypeParser(1184, timestampFromPostgres)
const pool = new pg.Pool({ connectionString: process.env["DATABASE_URL"], max: 10 })
const app = Fastify({ logger: false })

const toItem = (row: ProfileRow) => ({
  id: Number(row.id),
  platform: row.platform,
  externalId: row.external_id,
  handle: row.handle,
  displayName: row.display_name,
  bio: row.bio,
  location: row.location,
  url: row.url,
  avatarUrl: row.avatar_url,
  followersCount: row.followers_count,
  acceptsDms: row.accepts_dms,
  status: row.status,
  source: row.source,
  discoveryJobId: row.discovery_job_id === null ? null : Number(row.discovery_job_id),
  firstSeenAt: row.first_seen_at,
  lastSeenAt: row.last_seen_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  erasedAt: row.erased_at
})

interface Query {
  readonly limit?: string
  readonly platform?: string
  readonly status?: string
  readonly q?: string
  readonly cursor?: string
}

const platforms = new Set(["bluesky", "mastodon", "github", "linkedin"])
const statuses = new Set(["new", "contacted", "replied", "opted_out", "archived"])
// The same literal matching as the service: the text's own %, _ and \ match themselves.
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

// What a plain server does: check the query by hand, build the SQL, map the rows.
app.get<{ Querystring: Query }>("/api/social/profiles", async (request, reply) => {
  const { cursor, platform, q, status } = request.query
  const limit = request.query.limit === undefined ? 50 : Number(request.query.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    return reply.code(400).send({ _tag: "BadRequest", message: "limit must be 1 to 100" })
  }
  if ((platform !== undefined && !platforms.has(platform)) || (status !== undefined && !statuses.has(status))) {
    return reply.code(400).send({ _tag: "BadRequest", message: "platform or status unknown" })
  }
  const after = cursor === undefined ? undefined : Number(/^v1:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString())?.[1])
  if (after !== undefined && !(after > 0)) return reply.code(400).send({ _tag: "BadRequest", message: "cursor" })
  const where: Array<string> = []
  const values: Array<unknown> = []
  if (platform !== undefined) where.push(`platform = $${values.push(platform)}`)
  where.push(status !== undefined ? `status = $${values.push(status)}` : "status <> 'archived'")
  const search = q?.trim()
  if (search !== undefined && search.length > 0) {
    const n = values.push(likePattern(search))
    where.push(`(handle ILIKE $${n} OR display_name ILIKE $${n})`)
  }
  if (after !== undefined) where.push(`id < $${values.push(after)}`)
  const { rows } = await pool.query<ProfileRow>(
    `SELECT ${columns} FROM social_profiles WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT $${values.push(limit + 1)}`,
    values
  )
  const items = rows.slice(0, limit).map(toItem)
  const last = items[items.length - 1]
  const nextCursor = rows.length > limit && last ? Buffer.from(`v1:${last.id}`).toString("base64url") : null
  return { items, nextCursor }
})

const shutdown = async () => {
  await app.close()
  await pool.end()
  process.exit(0)
}
process.once("SIGTERM", () => void shutdown())
process.once("SIGINT", () => void shutdown())

await app.listen({ host: process.env["HOST"] ?? "127.0.0.1", port: Number(process.env["PORT"] ?? 3001) })
