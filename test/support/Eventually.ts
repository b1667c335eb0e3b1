import { Duration, Effect } from "effect"

/**
 * Runs `check` until it succeeds, then returns its value; fails with the last failure once `within` has
 * passed. The one way tests wait for something to happen: a condition with a deadline, never a fixed sleep.
 */
export const eventually = <A, E, R>(
  check: Effect.Effect<A, E, R>,
  options: { readonly within?: Duration.DurationInput; readonly every?: Duration.DurationInput; readonly what?: string } = {}
): Effect.Effect<A, E | Error, R> =>
  Effect.gen(function*() {
    const deadline = Date.now() + Duration.toMillis(options.within ?? "30 seconds")
    const pause = options.every ?? "25 millis"
    while (true) {
      const result = yield* Effect.either(check)
      if (result._tag === "Right") return result.right
      if (Date.now() > deadline) {
        const last = result.left instanceof Error ? result.left.message : String(result.left)
        return yield* Effect.fail(new Error(`Timed out waiting for ${options.what ?? "a condition"}: ${last}`))
      }
      yield* Effect.sleep(pause)
    }
  })

/** Fails (so `eventually` tries again) unless the condition holds. */
export const ensure = (condition: boolean, what: string): Effect.Effect<void, Error> =>
  condition ? Effect.void : Effect.fail(new Error(what))

/** The promise form, for tests written with plain async functions. */
export const eventuallyAsync = async <A>(
  check: () => Promise<A>,
  options: { readonly within?: number; readonly every?: number; readonly what?: string } = {}
): Promise<A> => {
  const deadline = Date.now() + (options.within ?? 30_000)
  while (true) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${options.what ?? "a condition"}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    await new Promise((resolve) => setTimeout(resolve, options.every ?? 50))
  }
}

/**
 * For what must not happen: `check` keeps succeeding for the whole of `during`, checked every `every`; fails
 * with the first failure. Used only after the event that could break it has been waited for.
 */
export const stays = <A, E, R>(
  check: Effect.Effect<A, E, R>,
  options: { readonly during: Duration.DurationInput; readonly every?: Duration.DurationInput }
): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const until = Date.now() + Duration.toMillis(options.during)
    let last = yield* check
    while (Date.now() < until) {
      yield* Effect.sleep(options.every ?? "50 millis")
      last = yield* check
    }
    return last
  })

/** The promise form of `stays`. */
export const staysAsync = async (check: () => Promise<void> | void, options: { readonly during: number; readonly every?: number }) => {
  const until = Date.now() + options.during
  await check()
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, options.every ?? 50))
    await check()
  }
}
