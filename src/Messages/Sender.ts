import { Cause, Duration, Effect, Option, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { AppConfig } from "../Config.js"
import { PlatformHttpClient } from "../PlatformClient.js"
import type { Channel } from "../Domain/Draft.js"
import type { ProfileId } from "../Domain/Profile.js"
import { Supervisor } from "../Jobs/Supervisor.js"
import { MigratedDatabase } from "../Sql/Migrator.js"
import { ProfilesRepo } from "../Profiles/Repo.js"
import { recoverSqlDefects } from "../Sql.js"
import { type ClaimedMessage, MessagesRepo } from "./Repo.js"
import { makeSenders, SendFailed } from "./Senders.js"

const channels: ReadonlyArray<Channel> = ["bluesky_dm", "mastodon_dm", "webhook"]

const backoff = (base: Duration.Duration, attempt: number) =>
  Math.min(Duration.toMillis(base) * 2 ** Math.max(0, attempt - 1) * (0.5 + Math.random()), 2_700_000)

/**
 * Delivers queued messages: claims one at a time per channel, within the channel's daily cap and minimum
 * spacing (plus jitter), checks opt-outs and replies again right before the call, and records the outcome
 * fenced by its lease. A message is never sent twice: the claim is exclusive, providers that deduplicate get
 * our key, and for Bluesky a retry first looks for the message in the conversation.
 */
export class MessageSender extends Effect.Service<MessageSender>()("Messages/Sender", {
  scoped: Effect.gen(function*() {
    yield* MigratedDatabase
    const { sending: config } = yield* AppConfig
    const repo = yield* MessagesRepo
    const profiles = yield* ProfilesRepo
    const supervisor = yield* Supervisor
    const senders = yield* makeSenders
    const instance = `${hostname()}/${process.pid}`

    const settleFailure = (message: ClaimedMessage, owner: string, error: SendFailed) => {
      // Our own credentials refused: every message on the channel would fail the same way, so wait, do not fail.
      if (error.code === "sender_auth") {
        const at = new Date(Date.now() + 15 * 60_000)
        return Effect.logError(`${message.channel}: the sending account's credentials were refused (${error.detail}); check the configuration`).pipe(
          Effect.zipRight(repo.retryAt(message.id, owner, at, error.code, error.detail, false))
        )
      }
      if (!error.retryable) {
        return Effect.logWarning(`Message ${message.id} failed: ${error.code}: ${error.detail}`).pipe(
          Effect.zipRight(repo.markFailed(message.id, owner, error.code, error.detail))
        )
      }
      if (message.attempts >= config.maxAttempts) {
        return repo.markFailed(message.id, owner, error.code, `Gave up after ${message.attempts} attempt${message.attempts === 1 ? "" : "s"}: ${error.detail}`)
      }
      const at = error.retryAt ?? new Date(Date.now() + backoff(config.retryBase, message.attempts))
      return Effect.logWarning(`Message ${message.id} will retry at ${at.toISOString()}: ${error.detail}`).pipe(
        Effect.zipRight(repo.retryAt(message.id, owner, at, error.code, error.detail, error.code !== "rate_limited"))
      )
    }

    // Renewed while a delivery runs, so a slow provider call is never taken over and sent again.
    const keepLease = (message: ClaimedMessage, owner: string) =>
      repo.renew(message.id, owner, config.lease).pipe(
        Effect.catchAll(() => Effect.succeed(true)),
        Effect.flatMap((held) =>
          held ? Effect.void : Effect.fail(new SendFailed({ code: "lease_lost", detail: "another sender took the message over", retryable: true }))
        ),
        Effect.repeat(Schedule.spaced(Duration.toMillis(config.lease) / 4)),
        Effect.zipRight(Effect.never)
      )

    const deliver = Effect.fn("Messages/Sender.deliver")(function*(message: ClaimedMessage, owner: string) {
      if (message.blocked !== null) {
        yield* Effect.logInfo(`Message ${message.id} not sent: the person ${message.blocked === "opted_out" ? "opted out" : "replied"}`)
        return yield* repo.markFailed(message.id, owner, message.blocked, "Checked right before sending")
      }
      const sender = senders[message.channel]
      if (sender === undefined) {
        return yield* repo.markFailed(message.id, owner, "not_configured", `${message.channel} is not configured`)
      }
      // The person may have opted out or replied since the claim: look again just before the call.
      const stop = yield* repo.stillClear(message.id, owner)
      if (Option.isSome(stop)) {
        if (stop.value === "lease_lost") return yield* Effect.logWarning(`Message ${message.id}: lease lost before sending`)
        return yield* repo.markFailed(message.id, owner, stop.value, "Checked right before sending")
      }
      const outcome = yield* Effect.either(sender.send(message, owner).pipe(Effect.raceFirst(keepLease(message, owner))))
      if (outcome._tag === "Left") return yield* settleFailure(message, owner, outcome.left)
      const recorded = yield* repo.markSent(message.id, owner, outcome.right.providerMessageId, outcome.right.conversationId)
      yield* recorded
        ? Effect.logInfo(`Message ${message.id} sent on ${message.channel}`)
        : Effect.logWarning(`Message ${message.id} sent, but its lease had passed to another sender`)
    })

    const claimNext = Effect.gen(function*() {
      for (const channel of channels) {
        if (senders[channel] === undefined) continue
        const spacing = Duration.millis(Duration.toMillis(config.minSpacing) + Math.random() * Duration.toMillis(config.spacingJitter))
        const owner = `${instance}/${randomUUID().slice(0, 8)}`
        const limits = { channel, dailyCap: config.dailyCaps[channel], spacing, maxAttempts: config.maxAttempts }
        const claimed = yield* repo.claim(limits, owner, config.lease)
        if (Option.isSome(claimed)) return Option.some([claimed.value, owner] as const)
      }
      return Option.none()
    })

    const loop = Effect.gen(function*() {
      let failures = 0
      while (true) {
        const next = yield* Effect.either(recoverSqlDefects(claimNext))
        if (next._tag === "Left") {
          failures++
          if (failures === 1) yield* Effect.logWarning(`Sender paused: ${next.left.message}`)
          yield* Effect.sleep(Math.min(Duration.toMillis(config.pollInterval) * 2 ** failures, 30_000))
          continue
        }
        failures = 0
        if (Option.isNone(next.right)) {
          yield* Effect.sleep(config.pollInterval)
          continue
        }
        const [message, owner] = next.right.value
        yield* deliver(message, owner).pipe(Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause)
            ? Effect.failCause(cause)
            : Effect.logWarning(`Message ${message.id} not settled; it is claimed again after its lease`, cause)
        ))
      }
    })

    // Replies stop follow-ups: look for them now and then on the channels that can tell.
    const checkReplies = Effect.forEach(channels, (channel) => {
      const replied = senders[channel]?.replied
      if (replied === undefined) return Effect.void
      return Effect.gen(function*() {
        const awaiting = yield* repo.awaitingReply(channel)
        if (awaiting.length === 0) return
        const recipients = new Set(yield* replied(awaiting))
        for (const message of awaiting.filter((a) => recipients.has(a.recipient))) {
          yield* profiles.markReplied(message.profileId as ProfileId)
          yield* Effect.logInfo(`Profile ${message.profileId} replied on ${channel}: no follow-ups`)
        }
      }).pipe(Effect.catchAll((error) => Effect.logWarning(`Reply check on ${channel} failed: ${error.message}`)))
    }, { discard: true })

    yield* supervisor.run("sender", config.workers, loop)
    if (config.workers > 0) {
      yield* supervisor.run("reply-check", 1, checkReplies.pipe(Effect.repeat(Schedule.spaced(config.replyCheckInterval))))
    }
    const ready = channels.filter((channel) => senders[channel] !== undefined)
    if (config.workers > 0) yield* Effect.logInfo(`Sending: ${config.workers} sender(s); channels configured: ${ready.join(", ") || "none"}`)
    return { channels: ready } as const
  }),
  dependencies: [MessagesRepo.Default, ProfilesRepo.Default, Supervisor.Default, PlatformHttpClient]
}) {}
