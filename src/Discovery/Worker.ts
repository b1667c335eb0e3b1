import { SqlClient } from "@effect/sql"
import { Cause, Data, Duration, Effect, Option, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { AppConfig } from "../Config.js"
import { DefaultDiscoveryLimit, type DiscoveryJobId } from "../Domain/DiscoveryJob.js"
import type { Platform } from "../Domain/Platform.js"
import { storableProfile } from "../Domain/Profile.js"
import { Supervisor } from "../Jobs/Supervisor.js"
import { MigratedDatabase } from "../Sql/Migrator.js"
import { ProfilesRepo } from "../Profiles/Repo.js"
import { mapSqlError } from "../Sql.js"
import { Erasure } from "../Erasure.js"
import { Outbound } from "../Outbound.js"
import { PlatformHttpClient, ProviderRejected, type ProviderError } from "../PlatformClient.js"
import type { Provider } from "./Provider.js"
import { BlueskyProvider } from "./Providers/Bluesky.js"
import { GithubProvider } from "./Providers/Github.js"
import { MastodonProvider } from "./Providers/Mastodon.js"
import { type ClaimedJob, DiscoveryRepo } from "./Repo.js"

class LeaseLost extends Data.TaggedError("LeaseLost")<{ readonly id: DiscoveryJobId }> {}

// Exponential with ±50% jitter, so jobs that failed together do not retry together; at most 10 minutes.
const backoff = (base: Duration.Duration, attempt: number) =>
  Math.min(Duration.toMillis(base) * 2 ** Math.max(0, attempt - 1) * (0.5 + Math.random()), 600_000)

/**
 * Runs discovery jobs inside each instance: `DISCOVERY_WORKERS` loops claim jobs with
 * `FOR UPDATE SKIP LOCKED`, hold a lease they renew, and save each page of profiles together with the job's
 * progress and resume point in one transaction. A job whose instance died is claimed again when its lease
 * expires and resumes from its last saved page; on shutdown a job is handed back, not lost.
 */
export class DiscoveryWorker extends Effect.Service<DiscoveryWorker>()("Discovery/Worker", {
  scoped: Effect.gen(function*() {
    yield* MigratedDatabase
    const { discovery: config } = yield* AppConfig
    const sql = yield* SqlClient.SqlClient
    const jobs = yield* DiscoveryRepo
    const profiles = yield* ProfilesRepo
    const supervisor = yield* Supervisor
    const erasure = yield* Erasure
    const providers: Record<Exclude<Platform, "linkedin">, Provider> = {
      bluesky: yield* BlueskyProvider,
      mastodon: yield* MastodonProvider,
      github: yield* GithubProvider
    }
    const instance = `${hostname()}/${process.pid}`

    // A renewal that hangs or fails is tried again; only a lease that is no longer ours stops the job.
    const keepLease = (id: DiscoveryJobId, owner: string) =>
      jobs.renew(id, owner, config.lease).pipe(
        Effect.timeoutFail({ duration: Duration.toMillis(config.lease) / 4, onTimeout: () => new Error("renewal timed out") }),
        Effect.catchAll(() => Effect.succeed(true)),
        Effect.flatMap((held) => (held ? Effect.void : Effect.fail(new LeaseLost({ id })))),
        Effect.repeat(Schedule.spaced(Duration.toMillis(config.lease) / 4)),
        Effect.zipRight(Effect.never)
      )

    const collect = (job: ClaimedJob, owner: string, provider: Provider) =>
      Effect.gen(function*() {
        const limit = typeof job.filters["limit"] === "number" ? job.filters["limit"] : DefaultDiscoveryLimit
        let found = job.profilesFound
        let state = job.state
        while (found < limit) {
          const page = yield* provider.page(job.filters, state, limit - found)
          const batch = page.profiles.slice(0, limit - found).map(storableProfile)
          const last = page.next === null || found + batch.length >= limit
          const saved = yield* sql.withTransaction(
            Effect.gen(function*() {
              // People erased on request are skipped: never stored again.
              const erased = yield* erasure.erasedAmong(batch).pipe(
                Effect.catchTag("SuppressionKeyMissing", (error) => new ProviderRejected({ reason: error.message }))
              )
              const { inserted } = yield* profiles.upsertMany(batch.filter((_, i) => !erased.has(i)), { source: "discovery", jobId: job.id })
              const held = yield* jobs.recordPage(job.id, owner, {
                found: batch.length,
                inserted,
                state: page.next ?? state,
                last
              })
              if (!held) return yield* new LeaseLost({ id: job.id })
              return inserted
            })
          ).pipe(Effect.catchTag("SqlError", mapSqlError))
          found += batch.length
          yield* Effect.logInfo(
            `Discovery job ${job.id} (${job.platform}): page of ${batch.length} profile(s), ${saved} new; ${found} of ${limit}`
          )
          if (last) return "finished" as const
          if (page.pauseUntil !== undefined) return page.pauseUntil
          state = page.next!
        }
        // Only a job resumed with its limit already reached gets here.
        return "unfinished" as const
      })

    const settleFailure = (job: ClaimedJob, owner: string, error: ProviderError) => {
      switch (error._tag) {
        case "ProviderRateLimited":
          return Effect.logWarning(`Discovery job ${job.id} rate limited until ${error.until.toISOString()}: ${error.reason}`)
            .pipe(Effect.zipRight(jobs.rateLimited(job.id, owner, error.until, error.reason)))
        case "ProviderRejected":
          return Effect.logWarning(`Discovery job ${job.id} failed: ${error.reason}`)
            .pipe(Effect.zipRight(jobs.fail(job.id, owner, error.reason)))
        case "ProviderUnavailable": {
          if (job.attempts >= job.maxAttempts) {
            const reason = `Gave up after ${job.attempts} attempt${job.attempts === 1 ? "" : "s"}: ${error.reason}`
            return Effect.logWarning(`Discovery job ${job.id} failed: ${reason}`)
              .pipe(Effect.zipRight(jobs.fail(job.id, owner, reason)))
          }
          const at = new Date(Date.now() + backoff(config.retryBase, job.attempts))
          return Effect.logWarning(`Discovery job ${job.id} will retry at ${at.toISOString()}: ${error.reason}`)
            .pipe(Effect.zipRight(jobs.retryAt(job.id, owner, at, error.reason)))
        }
      }
    }

    const run = Effect.fn("Discovery/Worker.run")(function*(job: ClaimedJob, owner: string) {
      yield* Effect.logInfo(`Discovery job ${job.id} (${job.platform}) claimed, attempt ${job.attempts}`)
      if (job.platform === "linkedin") {
        return yield* jobs.fail(job.id, owner, "LinkedIn offers no people search; import its data export instead")
      }
      const outcome = yield* collect(job, owner, providers[job.platform]).pipe(
        Effect.raceFirst(keepLease(job.id, owner)),
        Effect.onInterrupt(() => jobs.release(job.id, owner).pipe(Effect.ignore)),
        Effect.either
      )
      if (outcome._tag === "Right") {
        const result = outcome.right
        if (result === "finished") return yield* Effect.logInfo(`Discovery job ${job.id} succeeded`)
        if (result === "unfinished") return yield* jobs.succeed(job.id, owner)
        yield* Effect.logInfo(`Discovery job ${job.id} paused for the platform's quota until ${result.toISOString()}`)
        return yield* jobs.rateLimited(job.id, owner, result, "Rate limit quota spent")
      }
      const error = outcome.left
      switch (error._tag) {
        case "LeaseLost":
          return yield* Effect.logWarning(`Discovery job ${job.id}: no longer ours (cancelled, or taken over after its lease); stopped`)
        case "ProviderRateLimited":
        case "ProviderRejected":
        case "ProviderUnavailable":
          return yield* settleFailure(job, owner, error)
        default:
          // The database failed under us: the lease runs out and the job is claimed again.
          return yield* Effect.logWarning(`Discovery job ${job.id} interrupted by a database failure: ${error.message}`)
      }
    })

    // While the database fails, each loop backs off (up to 30 s) and says so once, not on every poll.
    const loop = Effect.gen(function*() {
      let failures = 0
      while (true) {
        // Every claim gets its own owner token, so two loops of one instance can never share a lease.
        const owner = `${instance}/${randomUUID().slice(0, 8)}`
        const claimed = yield* Effect.either(jobs.claim(owner, config.lease))
        if (claimed._tag === "Left") {
          failures++
          if (failures === 1) yield* Effect.logWarning(`Discovery worker paused: ${claimed.left.message}`)
          yield* Effect.sleep(Math.min(Duration.toMillis(config.pollInterval) * 2 ** failures, 30_000))
          continue
        }
        if (failures > 0) yield* Effect.logInfo("Discovery worker resumed: the database answers again")
        failures = 0
        yield* Option.match(claimed.right, {
          onNone: () => Effect.sleep(config.pollInterval),
          onSome: (job) =>
            run(job, owner).pipe(Effect.catchAllCause((cause) =>
              Cause.isInterruptedOnly(cause)
                ? Effect.failCause(cause)
                : Effect.logWarning(`Discovery job ${job.id} not settled; it is claimed again after its lease`, cause)
            ))
        })
      }
    })

    yield* supervisor.run("discovery", config.workers, loop)
    if (config.workers > 0) yield* Effect.logInfo(`Discovery: ${config.workers} worker(s) in ${instance}`)
    return { instance } as const
  }),
  dependencies: [DiscoveryRepo.Default, ProfilesRepo.Default, Supervisor.Default, PlatformHttpClient, Outbound.Default, Erasure.Default]
}) {}
