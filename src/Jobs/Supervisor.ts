import { Cause, Effect, Schedule } from "effect"
import type { WorkerStatus } from "../Domain/Worker.js"

const kindOf = (error: unknown): string => {
  const tag = (error as { _tag?: unknown } | null)?._tag
  return typeof tag === "string" ? tag : error instanceof Error ? error.name : "defect"
}

const FailingWindow = 10 * 60_000
const FailingCrashes = 3

// Restarts back off from a second to a minute, jittered so the loops of a pool do not crash in step.
const restartSchedule = Schedule.exponential("1 second").pipe(
  Schedule.union(Schedule.spaced("1 minute")),
  Schedule.jittered
)

/**
 * Runs background loops (discovery workers, senders, reply checks) so that none ends unnoticed: a loop that
 * dies with a defect is logged with its cause, counted, and started again after a backoff. Readiness shows
 * the counts, so a pool that keeps dying is visible without taking the API down.
 */
export class Supervisor extends Effect.Service<Supervisor>()("Jobs/Supervisor", {
  sync: () => {
    const pools = new Map<string, { loops: number; restarts: number; crashes: Array<number>; lastError: string | null; lastErrorAt: number | null }>()

    const crashed = (pool: string, cause: Cause.Cause<unknown>) =>
      Effect.sync(() => {
        const state = pools.get(pool)!
        const now = Date.now()
        state.restarts++
        state.crashes = [...state.crashes.filter((at) => now - at < FailingWindow), now]
        // Readiness is public: it names the kind of failure; the log has the whole of it.
        state.lastError = kindOf(Cause.squash(cause))
        state.lastErrorAt = now
      })

    /** Forks `count` copies of `loop` in the current scope, each restarted whenever it crashes. */
    const run = <E, R>(pool: string, count: number, loop: Effect.Effect<unknown, E, R>) =>
      Effect.gen(function*() {
        if (count === 0) return
        pools.set(pool, { loops: count, restarts: 0, crashes: [], lastError: null, lastErrorAt: null })
        const supervised = (index: number) =>
          loop.pipe(
            Effect.sandbox,
            Effect.tapError((cause) =>
              Effect.logError(`${pool} loop ${index} crashed; restarting it`, cause).pipe(Effect.zipRight(crashed(pool, cause)))
            ),
            Effect.retry({ schedule: restartSchedule, while: (cause) => !Cause.isInterruptedOnly(cause) }),
            Effect.unsandbox
          )
        for (let i = 1; i <= count; i++) yield* Effect.forkScoped(supervised(i))
      })

    const status = Effect.sync((): ReadonlyArray<WorkerStatus> => {
      const now = Date.now()
      return [...pools].map(([pool, state]) => ({
        pool,
        loops: state.loops,
        restarts: state.restarts,
        failing: state.crashes.filter((at) => now - at < FailingWindow).length >= FailingCrashes,
        lastError: state.lastError,
        lastErrorAt: state.lastErrorAt === null ? null : new Date(state.lastErrorAt).toISOString()
      }))
    })

    return { run, status } as const
  }
}) {}
