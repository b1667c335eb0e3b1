import { FetchHttpClient, HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Data, Duration, Effect, Layer, ParseResult, Schema, Stream } from "effect"
import { storable } from "./Domain/Text.js"
import { outboundRefusalIn } from "./Outbound/Policy.js"
import { manifest } from "./Package.js"

/**
 * Calls to the social platforms' HTTP APIs, for discovery and for sending alike: one classification of
 * their answers into retry later, wait for the rate limit, or give up with the platform's own words.
 */

// Every error's message is its reason, so whoever logs `error.message` says what happened.

/** Worth retrying: the network, a timeout, a 5xx, a body cut short. */
/**
 * A platform's words as we keep them (in `last_error`, `error_detail`, `error_code`): storable in PostgreSQL
 * whatever the platform sent (no NUL, no lone surrogate), and short.
 */
const said = (text: string) => storable(text).slice(0, 1000)

export class ProviderUnavailable extends Data.TaggedError("ProviderUnavailable")<{ readonly reason: string }> {
  constructor(args: { readonly reason: string }) {
    super({ reason: said(args.reason) })
  }
  override get message() {
    return this.reason
  }
}

/** The platform asked us to wait until `until`; the job waits, it does not fail. */
export class ProviderRateLimited extends Data.TaggedError("ProviderRateLimited")<{
  readonly until: Date
  readonly reason: string
}> {
  constructor(args: { readonly until: Date; readonly reason: string }) {
    super({ until: args.until, reason: said(args.reason) })
  }
  override get message() {
    return this.reason
  }
}

/** Retrying will not help: a 4xx, filters the platform refuses, a response of an unexpected shape. */
export class ProviderRejected extends Data.TaggedError("ProviderRejected")<{
  readonly reason: string
  /** The HTTP status and the platform's own error name (XRPC `error`), when it answered with one. */
  readonly status?: number
  readonly code?: string
}> {
  constructor(args: { readonly reason: string; readonly status?: number; readonly code?: string }) {
    super({
      reason: said(args.reason),
      ...(args.status !== undefined ? { status: args.status } : {}),
      ...(args.code !== undefined ? { code: said(args.code).slice(0, 100) } : {})
    })
  }
  override get message() {
    return this.reason
  }
}

export type ProviderError = ProviderUnavailable | ProviderRateLimited | ProviderRejected

const projectUrl = (manifest.homepage ?? (typeof manifest.repository === "string" ? manifest.repository : manifest.repository?.url))
  ?.replace(/^git\+/, "").replace(/\.git$/, "")

/** How we introduce ourselves to every platform: name, version, and where to find out who we are. */
export const UserAgent = `social-outreach/${manifest.version}${projectUrl !== undefined ? ` (+${projectUrl})` : ""}`

/** Any client made into a platform client: it says who we are and keeps our tracing headers to ourselves. */
export const asPlatformClient = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  client.pipe(
    HttpClient.mapRequest(HttpClientRequest.setHeader("user-agent", UserAgent)),
    HttpClient.withTracerPropagation(false)
  )

/**
 * The one HTTP client every call to a platform goes through (discovery, sending, webhooks): it says who we
 * are, and keeps our tracing headers (`traceparent`, `b3`) to ourselves. Hosts chosen by users get the same
 * client behind the outbound guard (`src/Outbound.ts`).
 */
export const PlatformHttpClient = Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, asPlatformClient)).pipe(
  Layer.provide(FetchHttpClient.layer)
)

// A reset already past (clock skew, Retry-After: 0) must not turn into a tight loop against the platform.
const MinimumWait = 1000

/** The longest we wait on a platform's word: a reset years ahead is a bug or a joke, not a plan. */
export const MaxRateLimitWait = Duration.hours(1)

type Headers = Readonly<Record<string, string | undefined>>

/** `Retry-After` in seconds or as an HTTP date (RFC 9110), as the time it names. */
export const retryAfterHeader = (headers: Headers, now: number): Date | undefined => {
  const header = headers["retry-after"]
  if (header === undefined) return undefined
  const seconds = Number(header)
  if (header.trim() !== "" && Number.isFinite(seconds)) return new Date(now + Math.max(0, seconds) * 1000)
  const date = Date.parse(header)
  return Number.isFinite(date) ? new Date(date) : undefined
}

const retryAfter = (headers: Headers, now: number): Date | undefined => {
  const header = retryAfterHeader(headers, now)
  if (header !== undefined) return header
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

export interface RateLimitWait {
  readonly until: Date
  /** Set when the platform asked for longer than we wait: what it asked for, to be reported. */
  readonly asked?: Date
}

/**
 * How long to wait for a rate limit the platform named (or a default): at least a second, so a reset already
 * past cannot become a tight loop, and at most `MaxRateLimitWait`.
 */
export const rateLimitWait = (asked: Date | undefined, now: number, fallbackMs = 60_000): RateLimitWait => {
  const wanted = asked?.getTime() ?? now + fallbackMs
  const max = now + Duration.toMillis(MaxRateLimitWait)
  if (!Number.isFinite(wanted) || wanted > max) return { until: new Date(max), ...(asked !== undefined ? { asked } : {}) }
  return { until: new Date(Math.max(wanted, now + MinimumWait)) }
}

const describeAsked = (wait: RateLimitWait) => {
  if (wait.asked === undefined) return ""
  const when = Number.isFinite(wait.asked.getTime()) && Math.abs(wait.asked.getTime()) < 8.64e15 ? wait.asked.toISOString() : String(wait.asked)
  return ` (it asked to wait until ${when}; waiting ${Duration.format(MaxRateLimitWait)} at most)`
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

/** More than any page of people a platform sends: a larger answer is refused rather than held in memory. */
export const MaxAnswerBytes = 5 * 1024 * 1024

/** The answer's body as text, refused past `MaxAnswerBytes` (a hostile instance could stream without end). */
const boundedText = (platform: string, response: HttpClientResponse.HttpClientResponse) => {
  const tooLarge = () => new ProviderRejected({ reason: `${platform} answered with more than ${MaxAnswerBytes} bytes` })
  if (Number(response.headers["content-length"] ?? 0) > MaxAnswerBytes) return Effect.fail(tooLarge())
  return response.stream.pipe(
    Stream.runFoldEffect({ chunks: [] as Array<Uint8Array>, size: 0 }, (read, chunk) => {
      const size = read.size + chunk.length
      if (size > MaxAnswerBytes) return Effect.fail(tooLarge())
      read.chunks.push(chunk)
      return Effect.succeed({ chunks: read.chunks, size })
    }),
    Effect.map((read) => Buffer.concat(read.chunks, read.size).toString("utf8"))
  )
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
        RequestError: (error) => {
          // The outbound guard refused the address: trying again would meet the same refusal.
          const refused = outboundRefusalIn(error.cause)
          return refused !== undefined
            ? new ProviderRejected({ reason: `${platform} was not contacted: ${refused}` })
            : new ProviderUnavailable({ reason: `${platform} could not be reached: ${networkCause(error.cause)}` })
        },
        ResponseError: (error) => new ProviderUnavailable({ reason: `${platform} answered badly: ${error.message}` })
      })
    )
    const text = yield* boundedText(platform, response).pipe(
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
      const wait = rateLimitWait(limitedUntil, now)
      return yield* new ProviderRateLimited({
        until: wait.until,
        reason: `${platform} rate limit (${response.status}): ${errorText(text)}${describeAsked(wait)}`
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
    return { body, json, quotaResetsAt: limitedUntil === undefined ? undefined : rateLimitWait(limitedUntil, now).until }
  })
