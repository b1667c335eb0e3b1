import { SqlClient } from "@effect/sql"
import { Duration, Effect } from "effect"
import { AppConfig } from "../Config.js"
import { DefaultDiscoveryLimit } from "../Domain/DiscoveryJob.js"
import { storableProfile } from "../Domain/Profile.js"
import { LeaseLost, runPool } from "../Jobs/Pool.js"
import { Supervisor } from "../Jobs/Supervisor.js"
import { PlatformHttpClient, ProviderRateLimited } from "../PlatformClient.js"
import { ProfilesRepo } from "../Profiles/Repo.js"
import { mapSqlError } from "../Sql.js"
import { MigratedDatabase } from "../Sql/Migrator.js"
import { Erasure } from "../Erasure.js"
import { afterFailure } from "./Policy.js"
import type { Provider } from "./Provider.js"
import { Providers } from "./Providers.js"
import { DiscoveryRepo, type LeasedJob } from "./Repo.js"

/** How long a job waits for the suppression key before it looks again. */
const KeyMissingWait = Duration.minutes(15)

/**
 * Runs discovery jobs inside each instance on the job engine (`src/Jobs/`): `DISCOVERY_WORKERS` loops claim
 * jobs, and save each page of profiles together with the job's progress and resume point in one transaction.
 * A job whose instance died is claimed again when its lease expires and resumes from its last saved page; on
 * shutdown a job is handed back, not lost.
 */
export class DiscoveryWorker extends Effect.Service<DiscoveryWorker>()("Discovery/Worker", {
  scoped: Effect.gen(function*() {
    yield* MigratedDatabase
    const { discovery: config } = yield* AppConfig
    const sql = yield* SqlClient.SqlClient
    const jobs = yield* DiscoveryRepo
    const profiles = yield* ProfilesRepo
    const providers = yield* Providers
    const erasure = yield* Erasure

    /** Pages through the platform until the job's limit; how it ended, or when the quota lets it go on. */
    const collect = (job: LeasedJob, provider: Provider) =>
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
                // Without the key the erased cannot be recognised: the job waits for it, as for a rate limit.
                Effect.catchTag("SuppressionKeyMissing", (error) =>
                  new ProviderRateLimited({ until: new Date(Date.now() + Duration.toMillis(KeyMissingWait)), reason: error.message }))
              )
              const { inserted } = yield* profiles.upsertMany(batch.filter((_, i) => !erased.has(i)), { source: "discovery", jobId: job.id })
              const held = yield* jobs.recordPage(job.id, job.owner, { found: batch.length, inserted, state: page.next ?? state, last })
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

    const run = Effect.fn("Discovery/Worker.run")(function*(job: LeasedJob) {
      yield* Effect.logInfo(`Discovery job ${job.id} (${job.platform}) claimed, attempt ${job.attempts}`)
      const provider = providers[job.platform]
      if (provider === undefined) {
        return yield* jobs.fail(job.id, job.owner, `${job.platform} offers no people search; import its data export instead`)
      }
      const outcome = yield* Effect.either(collect(job, provider))
      if (outcome._tag === "Right") {
        const result = outcome.right
        if (result === "finished") return yield* Effect.logInfo(`Discovery job ${job.id} succeeded`)
        if (result === "unfinished") return yield* jobs.succeed(job.id, job.owner)
        yield* Effect.logInfo(`Discovery job ${job.id} paused for the platform's quota until ${result.toISOString()}`)
        return yield* jobs.rateLimited(job.id, job.owner, result, "Rate limit quota spent")
      }
      const error = outcome.left
      if (error._tag !== "ProviderRateLimited" && error._tag !== "ProviderRejected" && error._tag !== "ProviderUnavailable") {
        // A lost lease or a database failure: the pool says so; the job is claimed again after its lease.
        return yield* Effect.fail(error)
      }
      const next = afterFailure(error, job, config.retryBase, new Date())
      switch (next._tag) {
        case "Wait":
          yield* Effect.logWarning(`Discovery job ${job.id} rate limited until ${next.until.toISOString()}: ${next.reason}`)
          return yield* jobs.rateLimited(job.id, job.owner, next.until, next.reason)
        case "Fail":
          yield* Effect.logWarning(`Discovery job ${job.id} failed: ${next.reason}`)
          return yield* jobs.fail(job.id, job.owner, next.reason)
        case "Retry":
          yield* Effect.logWarning(`Discovery job ${job.id} will retry at ${next.at.toISOString()}: ${next.reason}`)
          return yield* jobs.retryAt(job.id, job.owner, next.at, next.reason)
      }
    })

    yield* runPool({
      name: "discovery",
      workers: config.workers,
      pollInterval: config.pollInterval,
      lease: config.lease,
      claim: (owner) => jobs.claim(owner, config.lease),
      renew: (job) => jobs.renew(job.id, job.owner, config.lease),
      release: (job) => jobs.release(job.id, job.owner),
      run,
      describe: (job) => `Discovery job ${job.id}`
    })
    if (config.workers > 0) yield* Effect.logInfo(`Discovery: ${config.workers} worker(s)`)
    return { workers: config.workers } as const
  }),
  dependencies: [DiscoveryRepo.Default, ProfilesRepo.Default, Supervisor.Default, Providers.Default, PlatformHttpClient, Erasure.Default]
}) {}
