import { Cause, Data, Duration, Effect, Option, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { recoverSqlDefects } from "../Sql.js"
import { Supervisor } from "./Supervisor.js"

/** Work a loop holds the lease on. */
export interface Leased {
  readonly id: number
  /** The claim's own token: every write about the work names it. */
  readonly owner: string
}

/** The work is no longer this claim's: cancelled, or taken over after its lease ran out. */
export class LeaseLost extends Data.TaggedError("LeaseLost")<{ readonly id: number }> {}

/** How long handing work back at shutdown may take before it is left to the lease. */
const ReleaseWithin = Duration.seconds(1)

/** This process, as lease owners name it; each claim adds a token of its own. */
export const instance = `${hostname()}/${process.pid}`

export interface PoolOptions<J extends Leased, R> {
  /** The pool's name in logs and in readiness (`discovery`, `sender`). */
  readonly name: string
  readonly workers: number
  /** How often an idle loop looks for work. */
  readonly pollInterval: Duration.Duration
  readonly lease: Duration.Duration
  /** Takes the next piece of work for `owner`, if any. */
  readonly claim: (owner: string) => Effect.Effect<Option.Option<J>, { readonly message: string }, R>
  /** Extends the lease; false when the work is no longer ours. */
  readonly renew: (work: J) => Effect.Effect<boolean, unknown>
  /** Hands the work back at shutdown. */
  readonly release: (work: J) => Effect.Effect<unknown, unknown>
  /** Does the work and settles its outcome. */
  readonly run: (work: J) => Effect.Effect<unknown, unknown, R>
  /** How the work is named in logs (`Discovery job 12`). */
  readonly describe: (work: J) => string
}

/**
 * One engine for leased work (discovery jobs, messages to send): `workers` loops, each restarted by the
 * `Supervisor` if it crashes, claim work, keep its lease while it runs (renewals bounded by a timeout; a
 * lease that is no longer ours stops the work), and hand it back at shutdown. While the database fails, a
 * loop backs off on a jittered schedule (up to 30 s) and says so once, not on every poll.
 */
export const runPool = <J extends Leased, R>(options: PoolOptions<J, R>) =>
  Effect.gen(function*() {
    const supervisor = yield* Supervisor
    const every = Duration.toMillis(options.lease) / 4

    const keepLease = (work: J) =>
      options.renew(work).pipe(
        // Disconnected, so a renewal the database never answers cannot hold the timeout.
        Effect.disconnect,
        Effect.timeout(every),
        // A renewal that fails or hangs is tried again; only a lease that is no longer ours stops the work.
        Effect.orElseSucceed(() => true),
        Effect.flatMap((held) => (held ? Effect.void : Effect.fail(new LeaseLost({ id: work.id })))),
        Effect.repeat(Schedule.spaced(every)),
        Effect.zipRight(Effect.never)
      )

    const backoff = Schedule.exponential(options.pollInterval).pipe(
      Schedule.union(Schedule.spaced("30 seconds")),
      Schedule.jittered
    )

    const claimPatiently = (owner: string) => {
      let paused = false
      return recoverSqlDefects(options.claim(owner)).pipe(
        Effect.tapError((error) =>
          paused ? Effect.void : Effect.logWarning(`${options.name} paused: ${error.message}`).pipe(Effect.zipLeft(Effect.sync(() => (paused = true))))
        ),
        Effect.retry(backoff),
        Effect.tap(() => (paused ? Effect.logInfo(`${options.name} resumed: the database answers again`) : Effect.void))
      )
    }

    const work = (claimed: J) =>
      options.run(claimed).pipe(
        Effect.raceFirst(keepLease(claimed)),
        // Bounded: a database that does not answer must not hold the shutdown past its grace; the lease ends anyway.
        Effect.onInterrupt(() => options.release(claimed).pipe(Effect.disconnect, Effect.timeoutOption(ReleaseWithin), Effect.ignore)),
        Effect.catchAllCause((cause) => {
          if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
          const lost = Cause.failureOption(cause).pipe(Option.filter((error): error is LeaseLost => error instanceof LeaseLost))
          return Option.isSome(lost)
            ? Effect.logWarning(`${options.describe(claimed)}: no longer ours (cancelled, or taken over after its lease); stopped`)
            : Effect.logWarning(`${options.describe(claimed)} not settled; it is claimed again after its lease`, cause)
        })
      )

    const loop = Effect.gen(function*() {
      while (true) {
        const claimed = yield* claimPatiently(`${instance}/${randomUUID().slice(0, 8)}`)
        if (Option.isNone(claimed)) yield* Effect.sleep(options.pollInterval)
        else yield* work(claimed.value)
      }
    })

    yield* supervisor.run(options.name, options.workers, loop)
  })
