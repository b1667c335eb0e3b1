import { NodeRuntime } from "@effect/platform-node"
import { Cause, ConfigError, Effect } from "effect"
import { StartupLogging } from "./Logging.js"

/** A startup or command failure, said in one line: the typed error's own message, or the pretty cause. */
export const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some" && ConfigError.isConfigError(failure.value)) {
    return `Invalid configuration: ${String(failure.value)}`
  }
  if (failure._tag === "Some") {
    const error = failure.value as { _tag?: unknown; message?: unknown }
    if (typeof error.message === "string" && error.message.length > 0) {
      return typeof error._tag === "string" ? `${error._tag}: ${error.message}` : error.message
    }
  }
  return Cause.pretty(cause)
}

/** Runs a program as the process: SIGTERM/SIGINT interrupt it (finalizers run), failures exit 1. */
export const runMain = <E>(program: Effect.Effect<unknown, E>) =>
  program.pipe(
    Effect.tapErrorCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logError(`Failed: ${describeFailure(cause)}`)
    ),
    Effect.provide(StartupLogging),
    NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
  )
