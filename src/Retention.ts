import { Duration, Effect, Schedule } from "effect"
import { AppConfig } from "./Config.js"
import { Supervisor } from "./Jobs/Supervisor.js"
import { ProfilesRepo } from "./Profiles/Repo.js"
import { MigratedDatabase } from "./Sql/Migrator.js"
import { recoverSqlDefects } from "./Sql.js"

/** Profiles whose raw payload one statement empties at most: short transactions, no long locks. */
const Batch = 500
const Every = Duration.hours(1)

/**
 * Keeps the platforms' raw payloads no longer than `RAW_RETENTION` (default 90 days) after a profile was last
 * seen: a background loop in every instance that runs workers prunes them, a bounded batch at a time, at
 * startup and then every hour, and says what it pruned. The profile's own fields stay.
 */
export class Retention extends Effect.Service<Retention>()("Retention", {
  scoped: Effect.gen(function*() {
    yield* MigratedDatabase
    const config = yield* AppConfig
    const profiles = yield* ProfilesRepo
    const supervisor = yield* Supervisor
    const retention = Duration.format(config.rawRetention)

    const prune = Effect.gen(function*() {
      let total = 0
      while (true) {
        const pruned = yield* profiles.pruneRaw(config.rawRetention, Batch)
        total += pruned
        if (pruned < Batch) break
      }
      if (total > 0) yield* Effect.logInfo(`Retention: removed the raw platform payload of ${total} profile(s) not seen for ${retention}`)
    })

    const loop = recoverSqlDefects(prune).pipe(
      Effect.catchAll((error) => Effect.logWarning(`Retention: pruning raw payloads failed, tried again later: ${error.message}`)),
      Effect.repeat(Schedule.spaced(Every))
    )

    const workers = config.discovery.workers + config.sending.workers > 0
    if (workers) yield* supervisor.run("retention", 1, loop)
    return { retention } as const
  }),
  dependencies: [ProfilesRepo.Default, Supervisor.Default]
}) {}
