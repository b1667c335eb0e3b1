import { Duration } from "effect"

/**
 * When work that failed for a passing reason is tried again: exponential from `base` (doubling per attempt),
 * with ±50% jitter so work that failed together does not retry together, at most `cap` later.
 */
export const retryDelay = (
  base: Duration.DurationInput,
  attempt: number,
  cap: Duration.DurationInput,
  random: () => number = Math.random
): Duration.Duration =>
  Duration.millis(
    Math.min(Duration.toMillis(base) * 2 ** Math.max(0, attempt - 1) * (0.5 + random()), Duration.toMillis(cap))
  )

/** "1 attempt", "3 attempts". */
export const attempts = (count: number) => `${count} attempt${count === 1 ? "" : "s"}`
