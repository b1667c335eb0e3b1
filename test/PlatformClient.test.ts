import { FetchHttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Schema } from "effect"
import { createServer, type Server, type ServerResponse } from "node:http"
import { storable } from "../src/Domain/Text.js"
import {
  fetchJson,
  MaxAnswerBytes,
  MaxRateLimitWait,
  ProviderRateLimited,
  ProviderRejected,
  ProviderUnavailable,
  rateLimitWait,
  retryAfterHeader,
  UserAgent
} from "../src/PlatformClient.js"

const now = Date.parse("2026-11-26T12:00:00Z")
const max = Duration.toMillis(MaxRateLimitWait)

describe("What we tell platforms and how long we wait for them", () => {
  it("the User-Agent names the service and its version", () => {
    expect(UserAgent).toMatch(/^social-outreach\/\d+\.\d+\.\d+/)
  })

  it.prop("a wait is at least a second and at most the cap, whatever the platform asked; a capped one says what was asked", {
    askedIn: Schema.NullOr(Schema.Number)
  }, ({ askedIn }) => {
    const asked = askedIn === null ? undefined : new Date(now + askedIn)
    const wait = rateLimitWait(asked, now)
    expect(wait.until.getTime()).toBeGreaterThanOrEqual(now + 1000)
    expect(wait.until.getTime()).toBeLessThanOrEqual(now + max)
    if (asked !== undefined && askedIn! > max) expect(wait.asked).toEqual(asked)
    if (asked !== undefined && askedIn! >= 1000 && askedIn! <= max) expect(wait).toEqual({ until: asked })
  })

  it("Retry-After in seconds or as an HTTP date", () => {
    expect(retryAfterHeader({ "retry-after": "30" }, now)).toEqual(new Date(now + 30_000))
    expect(retryAfterHeader({ "retry-after": "Thu, 26 Nov 2026 12:00:05 GMT" }, now)).toEqual(new Date(now + 5000))
    expect(retryAfterHeader({ "retry-after": "soon" }, now)).toBeUndefined()
    expect(retryAfterHeader({}, now)).toBeUndefined()
  })

  it.prop(
    "a platform error's message is its reason, as storable text: it can be written to last_error whatever the platform sent",
    { reason: Schema.String, bad: Schema.Literal("\u0000", "\ud800", "\udfff") },
    ({ bad, reason }) => {
      for (const text of [reason, `${reason}${bad}${reason}`]) {
        const errors = [
          new ProviderUnavailable({ reason: text }),
          new ProviderRejected({ reason: text, status: 400, code: text }),
          new ProviderRateLimited({ reason: text, until: new Date(now) })
        ]
        for (const error of errors) {
          expect(error.message).toBe(storable(text).slice(0, 1000))
          expect(error.message.includes("\u0000") || !error.message.isWellFormed()).toBe(false)
        }
      }
    }
  )
})

const serve = (handler: (res: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<Server>((resolve) => {
        const server = createServer((_, res) => handler(res))
        server.listen(0, "127.0.0.1", () => resolve(server))
      })
    ),
    (server) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as { port: number }).port}/`))

const fetchFrom = (url: string) =>
  fetchJson("Example", HttpClientRequest.get(url), Schema.Unknown, "5 seconds").pipe(
    Effect.provide(FetchHttpClient.layer),
    Effect.flip
  )

describe("What a platform can send us", () => {
  it.scoped("an answer larger than any page of people is refused, not held in memory", () =>
    Effect.gen(function*() {
      const chunk = Buffer.alloc(1024 * 1024, "a")
      const url = yield* serve((res) => {
        res.writeHead(200, { "content-type": "application/json" })
        let sent = 0
        const more = () => {
          while (sent < 8 && res.write(chunk)) sent++
          if (sent < 8) res.once("drain", more)
          else res.end()
        }
        more()
      })
      const error = yield* fetchFrom(url)
      expect(error).toMatchObject({ _tag: "ProviderRejected", reason: `Example answered with more than ${MaxAnswerBytes} bytes` })
    }))

  it.scoped("an error body with a NUL or a lone surrogate becomes storable words", () =>
    Effect.gen(function*() {
      const url = yield* serve((res) => {
        res.writeHead(422, { "content-type": "application/json" })
        res.end(JSON.stringify({ error: "Bad\u0000Name", message: "x\ud800y" }))
      })
      const error = yield* fetchFrom(url)
      expect(error).toMatchObject({ _tag: "ProviderRejected", status: 422, code: "BadName", reason: "Example refused the request (422): BadName: x\ufffdy" })
    }))
})
