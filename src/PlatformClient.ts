import { HttpClient, type HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Data, Duration, Effect, ParseResult, Schema } from "effect"

/**
 * Calls to the social platforms' HTTP APIs, for discovery and for sending alike: one classification of
 * their answers into retry later, wait for the rate limit, or give up with the platform's own words.
 */

/** Worth retrying: the network, a timeout, a 5xx, a body cut short. */
export class ProviderUnavailable extends Data.TaggedError("ProviderUnavailable")<{ readonly reason: string }> {}

/** The platform asked us to wait until `until`; the job waits, it does not fail. */
export class ProviderRateLimited extends Data.TaggedError("ProviderRateLimited")<{
  readonly until: Date
  readonly reason: string
}> {}

/** Retrying will not help: a 4xx, filters the platform refuses, a response of an unexpected shape. */
export class ProviderRejected extends Data.TaggedError("ProviderRejected")<{
  readonly reason: string
  /** The HTTP status and the platform's own error name (XRPC `error`), when it answered with one. */
  readonly status?: number
  readonly code?: string
}> {}

export type ProviderError = ProviderUnavailable | ProviderRateLimited | ProviderRejected

const retryAfter = (headers: HttpClientResponse.HttpClientResponse["headers"], now: number): Date | undefined => {
  const header = headers["retry-after"]
  if (header !== undefined) {
    const seconds = Number(header)
    if (Number.isFinite(seconds)) return new Date(now + Math.max(0, seconds) * 1000)
    const date = Date.parse(header)
    if (Number.isFinite(date)) return new Date(date)
  }
  // GitHub: x-ratelimit-* (epoch seconds); Mastodon: x-ratelimit-* (ISO date); Bluesky: ratelimit-* (epoch seconds).
  for (const prefix of ["x-ratelimit", "ratelimit"]) {
    const reset = headers[`${prefix}-reset`]
    if (headers[`${prefix}-remaining`] !== "0" || reset === undefined) continue
    const seconds = Number(reset)
    if (Number.isFinite(seconds)) return new Date(seconds > 1e9 ? seconds * 1000 : now + seconds * 1000)
    const date = Date.parse(reset)
    if (Number.isFinite(date)) return new Date(date)
  }
  return undefined
}

const errorCode = (body: string) => {
  try {
    const error = (JSON.parse(body) as Record<string, unknown>)["error"]
    return typeof error === "string" ? error : undefined
  } catch {
    return undefined
  }
}

/** The platform's own words from an error body, whatever its shape (`message`, `error`, `error_description`). */
const errorText = (body: string) => {
  try {
    const json = JSON.parse(body) as Record<string, unknown>
    const parts = [json["error"], json["message"], json["error_description"]].filter((p) => typeof p === "string")
    if (parts.length > 0) return parts.join(": ")
  } catch {
    // not JSON
  }
  return body.slice(0, 200)
}

// A reset already past (clock skew, Retry-After: 0) must not turn into a tight loop against the platform.
const MinimumWait = 1000

/** "fetch failed" says little: the system error underneath (ECONNREFUSED, ENOTFOUND…) says what happened. */
const networkCause = (cause: unknown): string => {
  let current = cause as { message?: unknown; code?: unknown; cause?: unknown } | undefined
  let text = String(current?.message ?? cause)
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    if (typeof current.code === "string") return `${text} (${current.code})`
    current = current.cause as typeof current
    if (current?.message !== undefined) text = String(current.message)
  }
  return text
}

export interface FetchedJson<A> {
  readonly body: A
  /** The JSON as the platform sent it, unknown keys included: what profiles keep as their raw payload. */
  readonly json: unknown
  /** Set when a successful answer says the quota is now spent. */
  readonly quotaResetsAt: Date | undefined
}

/**
 * One request to a platform, classified the same way for every provider: 429 (and 403 with rate-limit
 * headers) → rate limited until the time the platform gives; 5xx, timeouts and bodies that are not JSON →
 * unavailable (retried); other 4xx and bodies of an unexpected shape → rejected, with the platform's words.
 */
export const fetchJson = <A, I>(
  platform: string,
  request: HttpClientRequest.HttpClientRequest,
  schema: Schema.Schema<A, I>,
  timeout: Duration.DurationInput
): Effect.Effect<FetchedJson<A>, ProviderError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(request).pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new ProviderUnavailable({ reason: `${platform} did not answer within ${Duration.format(timeout)}` })
      }),
      Effect.catchTags({
        RequestError: (error) => new ProviderUnavailable({ reason: `${platform} could not be reached: ${networkCause(error.cause)}` }),
        ResponseError: (error) => new ProviderUnavailable({ reason: `${platform} answered badly: ${error.message}` })
      })
    )
    const text = yield* response.text.pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new ProviderUnavailable({ reason: `${platform} stalled while sending its answer` })
      }),
      Effect.catchTag("ResponseError", (error) =>
        new ProviderUnavailable({ reason: `${platform} answer was cut short: ${error.message}` }))
    )
    const now = Date.now()
    const limitedUntil = retryAfter(response.headers, now)
    // GitHub's secondary limits are a 403 that may carry no header at all; it asks for a minute's wait.
    const secondary = response.status === 403 && /secondary rate limit/i.test(text)
    if (response.status === 429 || (response.status === 403 && (limitedUntil !== undefined || secondary))) {
      const until = Math.max(limitedUntil?.getTime() ?? now + 60_000, now + MinimumWait)
      return yield* new ProviderRateLimited({
        until: new Date(until),
        reason: `${platform} rate limit (${response.status}): ${errorText(text)}`
      })
    }
    if (response.status >= 500) {
      return yield* new ProviderUnavailable({ reason: `${platform} answered ${response.status}: ${errorText(text)}` })
    }
    if (response.status >= 400) {
      const code = errorCode(text)
      return yield* new ProviderRejected({
        reason: `${platform} refused the request (${response.status}): ${errorText(text)}`,
        status: response.status,
        ...(code !== undefined ? { code } : {})
      })
    }
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => new ProviderUnavailable({ reason: `${platform} answered with malformed JSON` })
    })
    const body = yield* Schema.decodeUnknown(schema)(json).pipe(
      Effect.mapError((error) =>
        new ProviderRejected({
          reason: `${platform} answered in an unexpected shape: ${
            ParseResult.ArrayFormatter.formatErrorSync(error).slice(0, 3)
              .map((issue) => `${issue.path.join(".") || "(body)"} ${issue.message}`).join("; ")
          }`
        })
      )
    )
    return { body, json, quotaResetsAt: limitedUntil }
  })
