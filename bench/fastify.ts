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
}

const columns = `id, platform, external_id, handle, display_name, bio, location, url, avatar_url,
  followers_count, accepts_dms, status, source, discovery_job_id, first_seen_at, last_seen_at, created_at, updated_at`

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
  updatedAt: row.updated_at
})

app.get<{ Querystring: { limit?: string } }>("/api/social/profiles", async (request, reply) => {
  const limit = request.query.limit === undefined ? 50 : Number(request.query.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    return reply.code(400).send({ _tag: "BadRequest", message: "limit must be 1 to 100" })
  }
  const { rows } = await pool.query<ProfileRow>(
    `SELECT ${columns} FROM social_profiles WHERE status <> 'archived' ORDER BY id DESC LIMIT $1`,
    [limit + 1]
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
