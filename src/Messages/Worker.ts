import { Effect, Option, Schedule } from "effect"
import { AppConfig } from "../Config.js"
import type { ProfileId } from "../Domain/Profile.js"
import { runPool } from "../Jobs/Pool.js"
import { Supervisor } from "../Jobs/Supervisor.js"
import { ProfilesRepo } from "../Profiles/Repo.js"
import { MigratedDatabase } from "../Sql/Migrator.js"
import { Channels } from "./Channels.js"
import { afterSendFailure, AllChannels, mayClaim, repostRisk, spacingAfterSend } from "./Policy.js"
import { type LeasedMessage, MessagesRepo } from "./Repo.js"

/**
 * Delivers queued messages on the job engine (`src/Jobs/`): claims one at a time per channel, within the
 * channel's daily cap and minimum spacing (plus jitter), checks opt-outs and replies again right before the
 * call, and records the outcome fenced by its lease. A message is never sent twice: the claim is exclusive,
 * providers that deduplicate get our key, and for Bluesky a retry first looks for the message in the
 * conversation. Now and then it also looks for replies, which stop follow-ups.
 */
export class MessageWorker extends Effect.Service<MessageWorker>()("Messages/Worker", {
  scoped: Effect.gen(function*() {
    yield* MigratedDatabase
    const { sending: config } = yield* AppConfig
    const repo = yield* MessagesRepo
    const profiles = yield* ProfilesRepo
    const supervisor = yield* Supervisor
    const { senders } = yield* Channels
    const configured = AllChannels.filter((channel) => senders[channel] !== undefined)

    const deliver = Effect.fn("Messages/Worker.deliver")(function*(message: LeasedMessage) {
      const { owner } = message
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
      const risk = repostRisk(message, new Date())
      if (risk !== undefined) {
        yield* Effect.logWarning(`Message ${message.id} not sent again: ${risk}`)
        return yield* repo.markFailed(message.id, owner, "delivery_unknown", risk)
      }
      const outcome = yield* Effect.either(sender.send(message, owner))
      if (outcome._tag === "Right") {
        const recorded = yield* repo.markSent(message.id, owner, outcome.right.providerMessageId, outcome.right.conversationId)
        return yield* recorded
          ? Effect.logInfo(`Message ${message.id} sent on ${message.channel}`)
          : Effect.logWarning(`Message ${message.id} sent, but its lease had passed to another sender`)
      }
      const next = afterSendFailure(outcome.left, message.attempts, config, new Date())
      if (next._tag === "Fail") {
        yield* Effect.logWarning(`Message ${message.id} failed: ${next.code}: ${next.detail}`)
        return yield* repo.markFailed(message.id, owner, next.code, next.detail)
      }
      yield* next.code === "sender_auth"
        ? Effect.logError(`${message.channel}: the sending account's credentials were refused (${next.detail}); check the configuration`)
        : Effect.logWarning(`Message ${message.id} will retry at ${next.at.toISOString()}: ${next.detail}`)
      return yield* repo.retryAt(message.id, owner, next.at, next.code, next.detail, next.countsAsAttempt)
    })

    const claimNext = (owner: string) =>
      Effect.gen(function*() {
        for (const channel of configured) {
          const limits = {
            channel,
            dailyCap: config.dailyCaps[channel],
            spacing: spacingAfterSend(config.minSpacing, config.spacingJitter),
            maxAttempts: config.maxAttempts
          }
          const claimed = yield* repo.claim(limits, owner, config.lease, (usage) => mayClaim(usage, limits.dailyCap))
          if (Option.isSome(claimed)) return claimed
        }
        return Option.none<LeasedMessage>()
      })

    yield* runPool({
      name: "sender",
      workers: configured.length > 0 ? config.workers : 0,
      pollInterval: config.pollInterval,
      lease: config.lease,
      claim: claimNext,
      renew: (message) => repo.renew(message.id, message.owner, config.lease),
      release: (message) => repo.release(message.id, message.owner),
      run: deliver,
      describe: (message) => `Message ${message.id}`
    })

    // Replies stop follow-ups: look for them now and then on the channels that can tell.
    const checkReplies = Effect.forEach(configured, (channel) => {
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

    if (config.workers > 0) {
      yield* supervisor.run("reply-check", 1, checkReplies.pipe(Effect.repeat(Schedule.spaced(config.replyCheckInterval))))
      yield* Effect.logInfo(`Sending: ${config.workers} sender(s); channels configured: ${configured.join(", ") || "none"}`)
    }
    return { channels: configured } as const
  }),
  dependencies: [MessagesRepo.Default, ProfilesRepo.Default, Supervisor.Default, Channels.Default]
}) {}
