import { SqlClient, type SqlError, SqlSchema, type Statement } from "@effect/sql"
import { type Duration, Effect, Option, Schema } from "effect"
import { DiscoveryJob, DiscoveryJobId, type DiscoveryJobStatus } from "../Domain/DiscoveryJob.js"
import { Platform } from "../Domain/Platform.js"
import { makeQueue } from "../Jobs/Queue.js"
import { mapSqlError } from "../Sql.js"

const columns = `id, platform, filters, status, attempts, max_attempts, pages_fetched, profiles_found, profiles_new, last_error,
  next_run_at, started_at, finished_at, created_at, updated_at`

const NewJob = Schema.Struct({
  platform: Platform,
  filters: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  maxAttempts: Schema.Int
})

/** A job as claimed, with where its next page starts. */
const ClaimedJob = Schema.Struct({
  ...DiscoveryJob.fields,
  state: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})

/** A job a worker holds the lease on: its claim's owner token names every write about it. */
export type LeasedJob = typeof ClaimedJob.Type & { readonly owner: string }

export interface PageProgress {
  readonly found: number
  readonly inserted: number
  readonly state: Readonly<Record<string, unknown>>
  /** The job's last page: it succeeds with it. */
  readonly last: boolean
}

export class DiscoveryRepo extends Effect.Service<DiscoveryRepo>()("Discovery/Repo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const insertJob = SqlSchema.single({
      Request: NewJob,
      Result: DiscoveryJob,
      execute: (job) =>
        sql`INSERT INTO social_discovery_jobs (platform, filters, max_attempts)
          VALUES (${job.platform}, ${JSON.stringify(job.filters)}::jsonb, ${job.maxAttempts})
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

    /** Jobs newest first, strictly older than `after` when given. */
    const list = Effect.fn("Discovery/Repo.list")(function*(query: {
      readonly status?: DiscoveryJobStatus | undefined
      readonly platform?: Platform | undefined
      readonly after?: number | undefined
      readonly limit: number
    }) {
      const where = [
        query.status !== undefined ? sql`status = ${query.status}` : undefined,
        query.platform !== undefined ? sql`platform = ${query.platform}` : undefined,
        query.after !== undefined ? sql`id < ${query.after}` : undefined
      ].filter((condition) => condition !== undefined)
      const rows = yield* sql`SELECT ${sql.literal(columns)} FROM social_discovery_jobs
        ${where.length > 0 ? sql`WHERE ${sql.and(where)}` : sql``} ORDER BY id DESC LIMIT ${query.limit}`.pipe(
        Effect.catchTag("SqlError", mapSqlError)
      )
      return yield* Schema.decodeUnknown(Schema.Array(DiscoveryJob))(rows).pipe(Effect.orDie)
    })

    const queue = makeQueue(sql, {
      table: "social_discovery_jobs",
      alias: "j",
      waiting: ["queued", "rate_limited"],
      claimed: "running",
      dueAt: "next_run_at",
      firstClaimedAt: "started_at"
    })

    const mapped = <A>(effect: Effect.Effect<A, SqlError.SqlError>) => Effect.catchTag(effect, "SqlError", mapSqlError)

    /**
     * Takes the next runnable job (queued, due again, or abandoned by a dead instance), if any. An abandoned
     * job that has used up its attempts is failed instead: it may be the job that kills its instance.
     */
    const claim = Effect.fn("Discovery/Repo.claim")(function*(owner: string, lease: Duration.Duration) {
      yield* mapped(queue.abandon(
        sql`max_attempts`,
        sql`status = 'failed', finished_at = now(), last_error = 'Abandoned by its worker ' || attempts
          || CASE WHEN attempts = 1 THEN ' time' ELSE ' times' END || ' (instance stopped or crashed mid-job)'`
      ))
      const rows = yield* mapped(queue.claim(owner, lease, { returning: sql`${sql.literal(columns)}, state` }))
      const [job] = yield* Schema.decodeUnknown(Schema.Array(ClaimedJob))(rows).pipe(Effect.orDie)
      return Option.map(Option.fromNullable(job), (claimed): LeasedJob => ({ ...claimed, owner }))
    })

    const changed = (statement: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
      mapped(Effect.map(statement, (rows) => rows.length > 0))

    /** Extends the lease; false when it is no longer ours. */
    const renew = Effect.fn("Discovery/Repo.renew")(function*(id: DiscoveryJobId, owner: string, lease: Duration.Duration) {
      return yield* mapped(queue.renew(id, owner, lease))
    })

    /**
     * Adds one page to the job's progress and moves its resume point; run it in the page's transaction.
     * The last page also finishes the job, so no crash can fall between saving it and succeeding.
     */
    const recordPage = Effect.fn("Discovery/Repo.recordPage")(function*(
      id: DiscoveryJobId,
      owner: string,
      progress: PageProgress
    ) {
      const finish = progress.last
        ? sql`, status = 'succeeded', finished_at = now(), next_run_at = NULL, lease_owner = NULL, lease_expires_at = NULL`
        : sql``
      return yield* changed(sql`UPDATE social_discovery_jobs SET pages_fetched = pages_fetched + 1,
          profiles_found = profiles_found + ${progress.found}, profiles_new = profiles_new + ${progress.inserted},
          state = ${JSON.stringify(progress.state)}::jsonb, last_error = NULL, updated_at = now() ${finish}
        WHERE ${queue.fenced(id, owner)} RETURNING id`)
    })

    const settle = (id: DiscoveryJobId, owner: string, assignments: Statement.Fragment) =>
      mapped(queue.settle(id, owner, assignments))

    const succeed = Effect.fn("Discovery/Repo.succeed")(function*(id: DiscoveryJobId, owner: string) {
      return yield* settle(id, owner, sql`status = 'succeeded', finished_at = now(), next_run_at = NULL`)
    })

    const fail = Effect.fn("Discovery/Repo.fail")(function*(id: DiscoveryJobId, owner: string, reason: string) {
      return yield* settle(id, owner, sql`status = 'failed', finished_at = now(), next_run_at = NULL, last_error = ${reason}`)
    })

    /** Back in the queue after a transient failure, not before `at`. */
    const retryAt = Effect.fn("Discovery/Repo.retryAt")(function*(id: DiscoveryJobId, owner: string, at: Date, reason: string) {
      return yield* settle(id, owner, sql`status = 'queued', next_run_at = ${at}, last_error = ${reason}`)
    })

    /** Waiting for the platform's quota: not a failure, so the attempt is given back. */
    const rateLimited = Effect.fn("Discovery/Repo.rateLimited")(function*(
      id: DiscoveryJobId,
      owner: string,
      until: Date,
      reason: string
    ) {
      return yield* settle(
        id,
        owner,
        sql`status = 'rate_limited', next_run_at = ${until}, last_error = ${reason}, attempts = greatest(attempts - 1, 0)`
      )
    })

    /** Handed back unfinished at shutdown: queued again at once, the attempt given back. */
    const release = Effect.fn("Discovery/Repo.release")(function*(id: DiscoveryJobId, owner: string) {
      return yield* mapped(queue.release(id, owner, { giveAttemptBack: true }))
    })

    /**
     * Stops a job that has not finished. A worker running it finds out at its next write (the job is no
     * longer `running`) and stops; what it saved so far stays.
     */
    const cancel = Effect.fn("Discovery/Repo.cancel")(function*(id: DiscoveryJobId) {
      return yield* changed(sql`UPDATE social_discovery_jobs SET status = 'cancelled', finished_at = now(), next_run_at = NULL,
          lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE id = ${id} AND status IN ('queued', 'running', 'rate_limited') RETURNING id`)
    })

    return {
      insert,
      list,
      cancel,
      findById,
      claim,
      renew,
      recordPage,
      succeed,
      fail,
      retryAt,
      rateLimited,
      release
    } as const
  })
}) {}
