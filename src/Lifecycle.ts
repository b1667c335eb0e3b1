import { Duration, Effect, Option } from "effect"
import { AppConfig } from "./Config.js"

/**
 * The process's shutdown, as the parts that must react to it see it: readiness turns 503 the moment a
 * SIGTERM or SIGINT arrives (before any layer has begun to close), and everything that drains works towards
 * one deadline, `SHUTDOWN_GRACE` after the signal. A watchdog ends the process at that deadline whatever is
 * still running, so a platform's SIGKILL never finds it.
 */
export class Lifecycle extends Effect.Service<Lifecycle>()("Lifecycle", {
  scoped: Effect.gen(function*() {
    const { logFormat, shutdownGrace } = yield* AppConfig
    let startedAt: number | undefined

    const begin = () => {
      startedAt ??= Date.now()
    }
    // Only a real signal arms the watchdog: a layer closed in a test must not end the test process.
    const onSignal = () => {
      begin()
      // unref: a process that finishes its shutdown sooner is not kept alive by the watchdog.
      setTimeout(() => {
        const message = `Shutdown did not finish within SHUTDOWN_GRACE (${Duration.format(shutdownGrace)}); exiting`
        process.stderr.write(`${logFormat === "json" ? JSON.stringify({ level: "ERROR", message }) : message}\n`)
        process.exit(1)
      }, Duration.toMillis(shutdownGrace)).unref()
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        process.once("SIGTERM", onSignal)
        process.once("SIGINT", onSignal)
      }),
      () =>
        Effect.sync(() => {
          process.off("SIGTERM", onSignal)
          process.off("SIGINT", onSignal)
        })
    )

    return {
      /** Marks the start of shutdown (idempotent); signals do it themselves. */
      begin: Effect.sync(begin),
      /** True from the first signal (or `begin`) on. */
      isShuttingDown: Effect.sync(() => startedAt !== undefined),
      /** When whatever drains must be done: `SHUTDOWN_GRACE` after shutdown began. */
      deadline: Effect.sync(() =>
        Option.map(Option.fromNullable(startedAt), (start) => start + Duration.toMillis(shutdownGrace))
      )
    } as const
  })
}) {}
