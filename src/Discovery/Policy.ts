import { Duration } from "effect"
import { attempts, retryDelay } from "../Jobs/Policy.js"
import type { ProviderError } from "../PlatformClient.js"

/** A retried job waits at most this long: a search is worth resuming the same day. */
export const MaxRetryDelay = Duration.minutes(10)

/** What becomes of a job whose platform call failed. */
export type AfterFailure =
  | { readonly _tag: "Wait"; readonly until: Date; readonly reason: string }
  | { readonly _tag: "Retry"; readonly at: Date; readonly reason: string }
  | { readonly _tag: "Fail"; readonly reason: string }

/**
 * The platform's rate limit is waited for (not a failure: the attempt is given back); a refusal or an answer
 * of the wrong shape fails at once with the platform's words; anything passing (network, timeout, 5xx) is
 * retried with backoff until the job's attempts are spent.
 */
export const afterFailure = (
  error: ProviderError,
  job: { readonly attempts: number; readonly maxAttempts: number },
  retryBase: Duration.DurationInput,
  now: Date,
  random: () => number = Math.random
): AfterFailure => {
  switch (error._tag) {
    case "ProviderRateLimited":
      return { _tag: "Wait", until: error.until, reason: error.reason }
    case "ProviderRejected":
      return { _tag: "Fail", reason: error.reason }
    case "ProviderUnavailable":
      return job.attempts >= job.maxAttempts
        ? { _tag: "Fail", reason: `Gave up after ${attempts(job.attempts)}: ${error.reason}` }
        : {
          _tag: "Retry",
          at: new Date(now.getTime() + Duration.toMillis(retryDelay(retryBase, job.attempts, MaxRetryDelay, random))),
          reason: error.reason
        }
  }
}
