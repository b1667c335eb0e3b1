import { describe, expect, it } from "@effect/vitest"
import { Duration, Schema } from "effect"
import { MaxRateLimitWait, ProviderRateLimited, ProviderRejected, ProviderUnavailable, rateLimitWait, retryAfterHeader, UserAgent } from "../src/PlatformClient.js"

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

  it.prop("a platform error's message is its reason, so a log line that quotes it says what happened", { reason: Schema.String }, ({ reason }) => {
    expect(new ProviderUnavailable({ reason }).message).toBe(reason)
    expect(new ProviderRejected({ reason, status: 400 }).message).toBe(reason)
    expect(new ProviderRateLimited({ reason, until: new Date(now) }).message).toBe(reason)
  })
})
