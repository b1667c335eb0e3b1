import { Duration, Option } from "effect"
import type { AppConfig } from "../Config.js"
import { Channel } from "../Domain/Draft.js"
import type { WaitingReason } from "../Domain/Message.js"
import { attempts, retryDelay } from "../Jobs/Policy.js"

/** The rules of sending, without a database: which channels can send, why a message waits, what may be retried. */

export const AllChannels: ReadonlyArray<Channel> = Channel.literals

export interface ChannelSetup {
  readonly channel: Channel
  readonly configured: boolean
  /** The settings still to set before the channel can send. */
  readonly missing: ReadonlyArray<string>
  /** Who the recipient sees as the sender, in words (no secrets). */
  readonly sendsAs: string | null
}

const originOf = (url: string) => {
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}

/** Per channel: configured or not, and which settings are missing. The one place that decides it. */
export const channelSetup = (config: Pick<AppConfig, "discovery" | "sending">): Record<Channel, ChannelSetup> => {
  const { discovery, sending } = config
  const setup = (channel: Channel, required: ReadonlyArray<readonly [string, Option.Option<unknown>]>, sendsAs: string) => {
    const missing = required.filter(([, value]) => Option.isNone(value)).map(([name]) => name)
    return { channel, configured: missing.length === 0, missing, sendsAs: missing.length === 0 ? sendsAs : null }
  }
  return {
    bluesky_dm: setup(
      "bluesky_dm",
      [["BLUESKY_IDENTIFIER", sending.blueskyIdentifier], ["BLUESKY_APP_PASSWORD", sending.blueskyAppPassword]],
      `${Option.getOrElse(sending.blueskyIdentifier, () => "")} via ${originOf(sending.blueskyPdsUrl)}`
    ),
    mastodon_dm: setup(
      "mastodon_dm",
      [["MASTODON_ACCESS_TOKEN", discovery.mastodonToken]],
      `the MASTODON_ACCESS_TOKEN account on ${discovery.mastodonDefaultInstance}`
    ),
    webhook: setup(
      "webhook",
      [["WEBHOOK_URL", sending.webhookUrl], ["WEBHOOK_SECRET", sending.webhookSecret]],
      `POST to ${originOf(Option.getOrElse(sending.webhookUrl, () => ""))}`
    )
  }
}

export const notConfiguredMessage = (setup: ChannelSetup) =>
  `${setup.channel} is not configured: set ${setup.missing.join(" and ")}`

/** A channel's use of its limits right now, as counted in the database. */
export interface ChannelUsage {
  readonly sentLast24h: number
  /** When the send that keeps the channel at its cap leaves the 24-hour window; null below the cap. */
  readonly capFreesAt: Date | null
  /** The channel's next send time from its spacing (minimum plus jitter); null before the first send. */
  readonly spacedUntil: Date | null
}

/** The earliest a configured channel may send again: now, unless its cap or its spacing holds it back. */
export const nextSendAt = (usage: ChannelUsage, dailyCap: number, now: Date): Date => {
  const times = [now.getTime(), usage.spacedUntil?.getTime() ?? 0]
  if (usage.sentLast24h >= dailyCap && usage.capFreesAt !== null) times.push(usage.capFreesAt.getTime())
  return new Date(Math.max(...times))
}

export interface Waiting {
  readonly reason: WaitingReason
  readonly detail: string
  /** When the message will be tried next; null while that depends on a setting. */
  readonly until: Date | null
}

/**
 * Why a queued message is not being sent now, and until when; none when it is due. Its own wait (a rate
 * limit, refused credentials, a retry's backoff) comes first, then the channel's daily cap, then its spacing.
 */
export const waitingFor = (
  message: { readonly status: string; readonly errorCode: string | null; readonly errorDetail: string | null; readonly nextAttemptAt: string | null },
  channel: { readonly setup: ChannelSetup; readonly usage: ChannelUsage; readonly dailyCap: number },
  now: Date
): Waiting | undefined => {
  if (message.status !== "queued") return undefined
  if (!channel.setup.configured) {
    return { reason: "not_configured", detail: notConfiguredMessage(channel.setup), until: null }
  }
  const own = message.nextAttemptAt === null ? undefined : new Date(message.nextAttemptAt)
  const channelFree = nextSendAt(channel.usage, channel.dailyCap, now)
  if (own !== undefined && own > now) {
    const reason = message.errorCode === "rate_limited" ? "rate_limited" : message.errorCode === "sender_auth" ? "sender_auth" : "retry"
    const until = own > channelFree ? own : channelFree
    const detail = reason === "rate_limited"
      ? `The platform's rate limit: ${message.errorDetail ?? "asked us to wait"}`
      : reason === "sender_auth"
      ? `The sending account's credentials were refused (${message.errorDetail ?? "no detail"}); fix the configuration, tried again every 15 minutes`
      : `Retrying after a failure: ${message.errorDetail ?? message.errorCode ?? "unknown"}`
    return { reason, detail, until }
  }
  if (channel.usage.sentLast24h >= channel.dailyCap) {
    return {
      reason: "daily_cap",
      detail: `${channel.usage.sentLast24h} of ${channel.dailyCap} messages sent on ${channel.setup.channel} in the last 24 hours`,
      until: channelFree
    }
  }
  if (channelFree > now) {
    return { reason: "spacing", detail: `${channel.setup.channel} keeps a gap between two messages`, until: channelFree }
  }
  return undefined
}

// Failures that retrying can cure: the network, the platform's load or limits, our own configuration, and a
// delivery whose outcome is unknown. Anything else is the recipient's or the message's and would fail again.
const retryableCodes = new Set(["unavailable", "rate_limited", "sender_auth", "not_configured", "abandoned"])

/** Whether a failed message may be queued again, and if not why. */
export const retryRefusal = (errorCode: string | null): string | undefined => {
  if (errorCode === null || retryableCodes.has(errorCode) || /^http_5\d\d$/.test(errorCode)) return undefined
  if (errorCode === "opted_out") return "The person opted out: it is never sent"
  if (errorCode === "replied") return "The person replied: no follow-ups"
  if (errorCode === "delivery_unknown") return "It may have been delivered and a retry could post it twice: check the conversation, then send a new draft if it did not arrive"
  return `It failed with ${errorCode}, which a retry would meet again`
}

/** Why a message may not be queued (or queued again) now; the channel's case names the missing settings. */
export type Refusal =
  | {
    readonly reason: "opted_out" | "replied" | "already_contacted" | "not_approved" | "permanent_failure" | "already_sent"
    readonly message: string
  }
  | { readonly reason: "channel_not_configured"; readonly message: string; readonly setup: ChannelSetup }

const refusalFor = (facts: { readonly blocked: string | null; readonly otherMessageId: number | null }): Refusal | undefined => {
  if (facts.blocked === "opted_out") return { reason: "opted_out", message: "The person opted out or is on the suppression list" }
  if (facts.blocked === "replied") return { reason: "replied", message: "The person replied: no follow-ups" }
  // One first contact per person, whatever the channel or draft.
  if (facts.otherMessageId !== null) {
    return { reason: "already_contacted", message: `Message ${facts.otherMessageId} already went, or is going, to this person` }
  }
  return undefined
}

/** Why an approved draft may not be queued now, checked in this order; undefined when it may. */
export const sendRefusal = (
  draft: { readonly status: string; readonly blocked: string | null; readonly otherMessageId: number | null },
  setup: ChannelSetup
): Refusal | undefined => {
  const person = refusalFor(draft)
  if (person !== undefined) return person
  if (draft.status !== "approved") return { reason: "not_approved", message: `Only approved drafts are sent; this one is ${draft.status}` }
  if (!setup.configured) return { reason: "channel_not_configured", message: notConfiguredMessage(setup), setup }
  return undefined
}

// Answers that say the platform did not take the message: a retry after them cannot deliver it twice.
const notDelivered = new Set(["rate_limited", "sender_auth", "not_configured"])

/** An earlier try ended without a clear "not delivered" (a timeout, a 5xx, a crash): it may have gone out. */
export const mayHaveBeenDelivered = (message: { readonly sendingStartedAt: string | null; readonly errorCode: string | null }) =>
  message.sendingStartedAt !== null && (message.errorCode === null || !notDelivered.has(message.errorCode))

/**
 * The attempts a manual retry keeps: one when an earlier try may have delivered the message, so the next
 * claim still knows it repeats a delivery (see `repostRisk`); none otherwise.
 */
export const attemptsKeptOnRetry = (message: { readonly sendingStartedAt: string | null; readonly errorCode: string | null }) =>
  mayHaveBeenDelivered(message) ? 1 : 0

/**
 * Why a message may not be taken back. Only a queued one may; and not one already tried without a clear
 * "not delivered" (a timeout, a 5xx, a crash): it may have gone out, and only its own retry, with the same
 * delivery key the platform recognises, can find out without sending it twice.
 */
export const cancelRefusal = (
  id: number,
  message: { readonly status: string; readonly sendingStartedAt: string | null; readonly errorCode: string | null }
): string | undefined => {
  if (message.status !== "queued") return `Only a queued message can be cancelled; message ${id} is ${message.status}`
  if (mayHaveBeenDelivered(message)) {
    return `Message ${id} was already tried (${message.errorCode ?? "outcome unknown"}) and may have been delivered: ` +
      "it cannot be taken back; its retry, with the same delivery key, finds out without sending it twice"
  }
  return undefined
}

/** Why a failed message may not be queued again: its failure was permanent, or the person or channel is not ready. */
export const retryRefusalOf = (
  message: { readonly errorCode: string | null },
  facts: { readonly blocked: string | null; readonly otherMessageId: number | null },
  setup: ChannelSetup
): Refusal | undefined => {
  const person = refusalFor(facts)
  if (person !== undefined) return person
  const permanent = retryRefusal(message.errorCode)
  if (permanent !== undefined) return { reason: "permanent_failure", message: permanent }
  if (!setup.configured) return { reason: "channel_not_configured", message: notConfiguredMessage(setup), setup }
  return undefined
}

/** A channel's limits admit a send now: under its daily cap, and past the spacing after its last send. */
export const mayClaim = (usage: { readonly sentLast24h: number; readonly spacingDue: boolean }, dailyCap: number) =>
  usage.sentLast24h < dailyCap && usage.spacingDue

/** The gap to keep after a send: the minimum plus a jitter drawn once per send, so sends do not tick like a bot. */
export const spacingAfterSend = (
  minSpacing: Duration.DurationInput,
  jitter: Duration.DurationInput,
  random: () => number = Math.random
): Duration.Duration => Duration.millis(Duration.toMillis(minSpacing) + random() * Duration.toMillis(jitter))

/** No single retry delay outlasts the hour Mastodon keeps an `Idempotency-Key`. */
export const MaxRetryDelay = Duration.minutes(45)

/** How long after its first try a Mastodon message may still be repeated under its key: the key's hour, less a margin. */
export const MastodonKeyWindow = Duration.minutes(55)

/**
 * Why a claimed message must not be sent now: on Mastodon, an earlier try whose outcome is unknown (it kept its
 * attempt: a timeout, a 5xx, a crash) began more than `MastodonKeyWindow` ago. Mastodon may have forgotten the
 * key by now, so a repeat could post the message twice; a person checks the conversation instead.
 */
export const repostRisk = (
  message: { readonly channel: Channel; readonly attempts: number; readonly sendingStartedAt: string | null },
  now: Date
): string | undefined => {
  if (message.channel !== "mastodon_dm" || message.attempts < 2 || message.sendingStartedAt === null) return undefined
  const since = now.getTime() - new Date(message.sendingStartedAt).getTime()
  if (since <= Duration.toMillis(MastodonKeyWindow)) return undefined
  return `An earlier try, ${Math.round(since / 60_000)} minutes ago, may have delivered it, and Mastodon keeps its ` +
    "Idempotency-Key for an hour only: sending again could post it twice. Check the conversation on Mastodon; if it " +
    "did not arrive, send a new draft"
}

/** How long a channel whose own credentials were refused waits before it tries again. */
export const SenderAuthWait = Duration.minutes(15)

/** What becomes of a message whose delivery failed. */
export type AfterSendFailure =
  | { readonly _tag: "Fail"; readonly code: string; readonly detail: string }
  | {
    readonly _tag: "Retry"
    readonly at: Date
    readonly code: string
    readonly detail: string
    /** Waiting for a platform's limit or for our own configuration does not use up an attempt. */
    readonly countsAsAttempt: boolean
  }

/**
 * Our own credentials refused: every message of the channel would fail alike, so it waits (no attempt used).
 * A permanent refusal (the recipient's, or the message's) fails at once with the provider's code. A passing
 * failure is retried with backoff, or at the time a rate limit names (no attempt used), until the attempts are
 * spent.
 */
export const afterSendFailure = (
  error: { readonly code: string; readonly detail: string; readonly retryable: boolean; readonly retryAt?: Date | undefined },
  attemptsMade: number,
  config: { readonly maxAttempts: number; readonly retryBase: Duration.DurationInput },
  now: Date,
  random: () => number = Math.random
): AfterSendFailure => {
  if (error.code === "sender_auth") {
    return { _tag: "Retry", at: new Date(now.getTime() + Duration.toMillis(SenderAuthWait)), code: error.code, detail: error.detail, countsAsAttempt: false }
  }
  if (!error.retryable) return { _tag: "Fail", code: error.code, detail: error.detail }
  // The platform asked us to wait: that uses no attempt, so it never spends the last one.
  const backoff = () => new Date(now.getTime() + Duration.toMillis(retryDelay(config.retryBase, attemptsMade, MaxRetryDelay, random)))
  if (error.code === "rate_limited") {
    return { _tag: "Retry", at: error.retryAt ?? backoff(), code: error.code, detail: error.detail, countsAsAttempt: false }
  }
  if (attemptsMade >= config.maxAttempts) {
    return { _tag: "Fail", code: error.code, detail: `Gave up after ${attempts(attemptsMade)}: ${error.detail}` }
  }
  return { _tag: "Retry", at: error.retryAt ?? backoff(), code: error.code, detail: error.detail, countsAsAttempt: true }
}
