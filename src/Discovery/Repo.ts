import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Schema } from "effect"
import { DiscoveryJob, DiscoveryJobId } from "../Domain/DiscoveryJob.js"
import { Platform } from "../Domain/Platform.js"
import { mapSqlError } from "../Sql.js"

const columns = `id, platform, filters, status, attempts, pages_fetched, profiles_found, profiles_new, last_error,
  next_run_at, started_at, finished_at, created_at, updated_at`

const NewJob = Schema.Struct({
  platform: Platform,
  filters: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})

export class DiscoveryRepo extends Effect.Service<DiscoveryRepo>()("Discovery/Repo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const insertJob = SqlSchema.single({
      Request: NewJob,
      Result: DiscoveryJob,
      execute: (job) =>
        sql`INSERT INTO social_discovery_jobs (platform, filters)
          VALUES (${job.platform}, ${JSON.stringify(job.filters)}::jsonb)
          RETURNING ${sql.literal(columns)}`
    })

    const byId = SqlSchema.findOne({
      Request: DiscoveryJobId,
      Result: DiscoveryJob,
      execute: (id) => sql`SELECT ${sql.literal(columns)} FROM social_discovery_jobs WHERE id = ${id}`
    })

    const insert = Effect.fn("Discovery/Repo.insert")(function*(job: typeof NewJob.Type) {
      return yield* insertJob(job).pipe(
        Effect.catchTags({ SqlError: mapSqlError, ParseError: Effect.die, NoSuchElementException: Effect.die })
      )
    })

    const findById = Effect.fn("Discovery/Repo.findById")(function*(id: DiscoveryJobId) {
      return yield* byId(id).pipe(Effect.catchTags({ SqlError: mapSqlError, ParseError: Effect.die }))
    })

    return { insert, findById } as const
  })
}) {}
