import { describe, expect, it } from "@effect/vitest"
import { Duration, FastCheck as fc } from "effect"
import type { Channel } from "../src/Domain/Draft.js"
import { afterFailure, MaxRetryDelay as DiscoveryMaxDelay } from "../src/Discovery/Policy.js"
import { retryDelay } from "../src/Jobs/Policy.js"
import {
  afterSendFailure,
  attemptsKeptOnRetry,
  cancelRefusal,
  MastodonKeyWindow,
  MaxRetryDelay as SendMaxDelay,
  mayClaim,
  repostRisk,
  SenderAuthWait,
  spacingAfterSend
} from "../src/Messages/Policy.js"
import { ProviderRateLimited, ProviderRejected, ProviderUnavailable } from "../src/PlatformClient.js"

/** The rules of the job engine, discovery and sending, as pure functions: no database, no clock. */

const now = new Date("2026-11-26T12:00:00.000Z")
const random = fc.double({ min: 0, max: 0.999_999, noNaN: true })

describe("Retry backoff", () => {
  it.prop(
    "doubles per attempt within ±50% jitter, never past its cap",
    [fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3_600_000 }), random],
    ([base, attempt, cap, r]) => {
      const delay = Duration.toMillis(retryDelay(base, attempt, cap, () => r))
      const nominal = base * 2 ** (attempt - 1)
      expect(delay).toBeLessThanOrEqual(cap)
      expect(delay).toBeCloseTo(Math.min(nominal * (0.5 + r), cap), 3)
      expect(delay).toBeGreaterThanOrEqual(Math.min(nominal / 2, cap) - 0.001)
    }
  )
})

describe("Discovery after a failed platform call", () => {
  it.prop("a rate limit waits for the platform's time without failing", [fc.integer({ min: 0, max: 10 })], ([attempts]) => {
    const until = new Date(now.getTime() + 60_000)
    const next = afterFailure(new ProviderRateLimited({ until, reason: "429" }), { attempts, maxAttempts: 3 }, "5 seconds", now)
    expect(next).toEqual({ _tag: "Wait", until, reason: "429" })
  })

  it.prop("a refusal fails at once; a passing failure retries until the attempts are spent", [fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), random], ([attempts, maxAttempts, r]) => {
    expect(afterFailure(new ProviderRejected({ reason: "422" }), { attempts, maxAttempts }, "5 seconds", now)._tag).toBe("Fail")
    const next = afterFailure(new ProviderUnavailable({ reason: "502" }), { attempts, maxAttempts }, "5 seconds", now, () => r)
    if (attempts >= maxAttempts) {
      expect(next).toEqual({ _tag: "Fail", reason: expect.stringContaining(`Gave up after ${attempts} attempt`) })
    } else {
      expect(next._tag).toBe("Retry")
      const at = (next as { at: Date }).at.getTime() - now.getTime()
      expect(at).toBeGreaterThan(0)
      expect(at).toBeLessThanOrEqual(Duration.toMillis(DiscoveryMaxDelay))
    }
  })
})

const SendError = fc.record({
  code: fc.constantFrom("unavailable", "rate_limited", "sender_auth", "MessagesDisabled", "http_422", "http_503"),
  detail: fc.string(),
  retryable: fc.boolean(),
  retryAt: fc.option(fc.date({ min: now, max: new Date(now.getTime() + 3_600_000), noInvalidDate: true }), { nil: undefined })
})

describe("Sending after a failed delivery", () => {
  it.prop(
    "refused credentials wait without using an attempt; permanent refusals fail; passing ones retry inside Mastodon's key window",
    [SendError, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }), random],
    ([error, attemptsMade, maxAttempts, r]) => {
      const next = afterSendFailure(error, attemptsMade, { maxAttempts, retryBase: "30 seconds" }, now, () => r)
      if (error.code === "sender_auth") {
        expect(next).toMatchObject({ _tag: "Retry", countsAsAttempt: false, at: new Date(now.getTime() + Duration.toMillis(SenderAuthWait)) })
      } else if (error.retryable && error.code === "rate_limited") {
        // A rate limit is waited for whatever the attempts: waiting uses none.
        expect(next).toMatchObject({ _tag: "Retry", countsAsAttempt: false })
      } else if (!error.retryable || attemptsMade >= maxAttempts) {
        expect(next).toMatchObject({ _tag: "Fail", code: error.code })
      } else {
        expect(next._tag).toBe("Retry")
        const retry = next as Extract<typeof next, { _tag: "Retry" }>
        expect(retry.countsAsAttempt).toBe(error.code !== "rate_limited")
        if (error.retryAt !== undefined) expect(retry.at).toEqual(error.retryAt)
        else expect(retry.at.getTime() - now.getTime()).toBeLessThanOrEqual(Duration.toMillis(SendMaxDelay))
      }
    }
  )
})

describe("A channel's limits", () => {
  it.prop("admit a send only under the daily cap and past the spacing", [fc.nat(300), fc.integer({ min: 1, max: 200 }), fc.boolean()], ([sent, cap, due]) => {
    expect(mayClaim({ sentLast24h: sent, spacingDue: due }, cap)).toBe(sent < cap && due)
  })

  it.prop("space sends by the minimum plus a jitter below its bound", [fc.nat(600_000), fc.nat(600_000), random], ([min, jitter, r]) => {
    const gap = Duration.toMillis(spacingAfterSend(min, jitter, () => r))
    expect(gap).toBeGreaterThanOrEqual(min)
    expect(gap).toBeLessThanOrEqual(min + jitter)
  })
})

describe("Taking a message back", () => {
  it.prop(
    "only a queued message, and only while no attempt may have delivered it",
    [
      fc.constantFrom("queued", "sending", "sent", "failed"),
      fc.option(fc.constant("2026-11-26T12:00:00Z"), { nil: null }),
      fc.option(fc.constantFrom("rate_limited", "sender_auth", "not_configured", "unavailable", "http_503", "abandoned"), { nil: null })
    ],
    ([status, sendingStartedAt, errorCode]) => {
      const refused = cancelRefusal(7, { status, sendingStartedAt, errorCode })
      const mayHaveGone = sendingStartedAt !== null && !["rate_limited", "sender_auth", "not_configured"].includes(errorCode ?? "")
      expect(refused === undefined).toBe(status === "queued" && !mayHaveGone)
    }
  )
})

describe("Repeating a Mastodon delivery", () => {
  const window = Duration.toMillis(MastodonKeyWindow)
  it.prop(
    "is refused only when an earlier try may have delivered it and began past the key's window",
    [
      fc.constantFrom<Channel>("mastodon_dm", "bluesky_dm", "webhook"),
      fc.integer({ min: 1, max: 6 }),
      fc.option(fc.integer({ min: 0, max: 3 * 3_600_000 }), { nil: null })
    ],
    ([channel, attempts, ago]) => {
      const sendingStartedAt = ago === null ? null : new Date(now.getTime() - ago).toISOString()
      const risk = repostRisk({ channel, attempts, sendingStartedAt }, now)
      expect(risk !== undefined).toBe(channel === "mastodon_dm" && attempts >= 2 && ago !== null && ago > window)
    }
  )

  it.prop(
    "a manual retry keeps one attempt exactly when an earlier try may have delivered it",
    [
      fc.option(fc.constant("2026-11-26T10:00:00Z"), { nil: null }),
      fc.option(fc.constantFrom("rate_limited", "sender_auth", "not_configured", "unavailable", "http_503", "abandoned"), { nil: null })
    ],
    ([sendingStartedAt, errorCode]) => {
      const kept = attemptsKeptOnRetry({ sendingStartedAt, errorCode })
      const mayHaveGone = sendingStartedAt !== null && !["rate_limited", "sender_auth", "not_configured"].includes(errorCode ?? "")
      expect(kept).toBe(mayHaveGone ? 1 : 0)
      // The next claim counts one more: a repeat of a possible delivery is then seen by repostRisk.
      const past = new Date(now.getTime() - 2 * 3_600_000).toISOString()
      expect(repostRisk({ channel: "mastodon_dm", attempts: kept + 1, sendingStartedAt: past }, now) !== undefined).toBe(mayHaveGone)
    }
  )
})
