import { Effect, Option } from "effect"
import { Audit } from "./Audit.js"
import { AppConfig } from "./Config.js"
import { type Channel, type DraftId, DraftNotFound } from "./Domain/Draft.js"
import {
  ChannelNotConfigured,
  type ChannelStatus,
  type Message,
  MessageConflict,
  type MessageId,
  MessageNotFound,
  type MessageRow,
  type MessageStatus,
  SendRefused
} from "./Domain/Message.js"
import { toPage } from "./Domain/Page.js"
import type { ProfileId } from "./Domain/Profile.js"
import { DraftsRepo } from "./Drafts/Repo.js"
import {
  AllChannels,
  attemptsKeptOnRetry,
  cancelRefusal,
  type ChannelSetup,
  channelSetup,
  nextSendAt,
  notConfiguredMessage,
  type Refusal,
  retryRefusalOf,
  sendRefusal,
  waitingFor
} from "./Messages/Policy.js"
import { MessagesRepo } from "./Messages/Repo.js"

export class Messages extends Effect.Service<Messages>()("Messages", {
  effect: Effect.gen(function*() {
    const repo = yield* MessagesRepo
    const drafts = yield* DraftsRepo
    const audit = yield* Audit
    const config = yield* AppConfig
    const recorded = (actor: string, action: "message.send" | "message.cancel" | "message.retry") =>
      (message: { readonly id: number; readonly profileId: number; readonly draftId: number }) => [{
        actor,
        action,
        subjectType: "message" as const,
        subjectId: message.id,
        profileId: message.profileId,
        detail: { draftId: message.draftId }
      }]
    const setup = channelSetup(config)
    const caps = config.sending.dailyCaps

    /** Adds to each queued message why it waits and until when, from its channel's state right now. */
    const annotate = Effect.fn("Messages.annotate")(function*(rows: ReadonlyArray<MessageRow>) {
      const usage = rows.some((row) => row.status === "queued") ? yield* repo.usage(caps) : undefined
      return rows.map((row): Message => {
        const waiting = usage === undefined ? undefined : waitingFor(
          row,
          { setup: setup[row.channel], usage: usage.channels[row.channel], dailyCap: caps[row.channel] },
          usage.now
        )
        return {
          ...row,
          nextAttemptAt: waiting === undefined ? row.nextAttemptAt : waiting.until?.toISOString() ?? null,
          waitingFor: waiting?.reason ?? null,
          waitingDetail: waiting?.detail ?? null
        }
      })
    })
    const annotateOne = (row: MessageRow) => Effect.map(annotate([row]), (rows) => rows[0]!)

    const notConfigured = (setup: ChannelSetup) =>
      new ChannelNotConfigured({ channel: setup.channel, missing: setup.missing, message: notConfiguredMessage(setup) })
    const refused = (draftId: DraftId, refusal: Refusal) =>
      refusal.reason === "channel_not_configured"
        ? notConfigured(refusal.setup)
        : new SendRefused({ draftId, reason: refusal.reason, message: refusal.message })

    /** Queues an approved draft's message; the same draft or the same key always gives the same answer. */
    const queue = Effect.fn("Messages.queue")(function*(draftId: DraftId, idempotencyKey: string | undefined, actor: string) {
      // Only the send that queued the message is recorded; a repeat returning it changed nothing.
      const outcome = yield* audit.audited(
        repo.queue(draftId, idempotencyKey, (draft) => sendRefusal(draft, setup[draft.channel])),
        (outcome) => (outcome._tag === "Queued" && outcome.fresh ? recorded(actor, "message.send")(outcome.message) : [])
      )
      switch (outcome._tag) {
        case "DraftNotFound":
          return yield* DraftNotFound.of(draftId)
        case "KeyReused":
          return yield* new SendRefused({
            draftId,
            reason: "idempotency_key_reused",
            message: `Idempotency-Key ${idempotencyKey} was first used for draft ${outcome.boundTo}; use a new key for another draft`
          })
        case "Refused":
          return yield* refused(draftId, outcome.refusal)
        case "Queued":
          return yield* annotateOne(outcome.message)
      }
    })

    const get = Effect.fn("Messages.get")(function*(id: MessageId) {
      const row = yield* Effect.flatMap(repo.findById(id), Option.match({
        onNone: () => Effect.fail(MessageNotFound.of(id)),
        onSome: Effect.succeed
      }))
      return yield* annotateOne(row)
    })

    const list = Effect.fn("Messages.list")(function*(params: {
      readonly status?: MessageStatus | undefined
      readonly profileId?: ProfileId | undefined
      readonly cursor?: number | undefined
      readonly limit?: number | undefined
    }) {
      const limit = params.limit ?? 50
      const rows = yield* repo.list({ status: params.status, profileId: params.profileId, after: params.cursor, limit: limit + 1 })
      return toPage(yield* annotate(rows), limit)
    })

    /** The bulk form: each draft queued or refused on its own, with the same rules and reasons. */
    const queueMany = Effect.fn("Messages.queueMany")(function*(draftIds: ReadonlyArray<DraftId>, actor: string) {
      const outcomes = yield* Effect.forEach(draftIds, (draftId) =>
        queue(draftId, undefined, actor).pipe(
          Effect.map((message) => ({ _tag: "queued" as const, message })),
          Effect.catchTags({
            SendRefused: (refused) => Effect.succeed({ _tag: "refused" as const, refused: { draftId, reason: refused.reason, message: refused.message } }),
            ChannelNotConfigured: (refused) =>
              Effect.succeed({ _tag: "refused" as const, refused: { draftId, reason: "channel_not_configured", message: refused.message } }),
            DraftNotFound: (missing) => Effect.succeed({ _tag: "refused" as const, refused: { draftId, reason: "not_found", message: missing.message } })
          })
        ))
      return {
        queued: outcomes.flatMap((o) => (o._tag === "queued" ? [o.message] : [])),
        refused: outcomes.flatMap((o) => (o._tag === "refused" ? [o.refused] : []))
      }
    })

    /** Takes back a message that is still queued; its draft is approved again. */
    const cancel = Effect.fn("Messages.cancel")(function*(id: MessageId, actor: string) {
      const change = Effect.gen(function*() {
        const outcome = yield* repo.cancel(id, (message) => cancelRefusal(id, message))
        if (outcome._tag !== "Cancelled") return outcome
        // The message's foreign key kept its draft from being deleted: it is there.
        return { ...outcome, draft: Option.getOrThrow(yield* drafts.findById(outcome.draftId)) }
      })
      const outcome = yield* audit.audited(change, (outcome) =>
        outcome._tag === "Cancelled" ? recorded(actor, "message.cancel")({ id, profileId: outcome.draft.profileId, draftId: outcome.draftId }) : [])
      if (outcome._tag === "NotFound") return yield* MessageNotFound.of(id)
      if (outcome._tag === "Refused") {
        return yield* new MessageConflict({
          id,
          status: outcome.status,
          reason: outcome.status === "queued" ? "delivery_may_have_begun" : "not_queued",
          message: outcome.message
        })
      }
      yield* Effect.logInfo(`Message ${id} cancelled; draft ${outcome.draftId} is approved again`)
      return outcome.draft
    })

    /** Queues a failed message again, unless its failure was permanent or the person or channel is not ready. */
    const retry = Effect.fn("Messages.retry")(function*(id: MessageId, actor: string) {
      const outcome = yield* audit.audited(
        repo.retry(id, (message, facts) =>
          message.status === "sent"
            ? { reason: "already_sent", message: `Message ${id} was sent; it is not sent again` }
            : retryRefusalOf(message, facts, setup[message.channel]), attemptsKeptOnRetry),
        (outcome) => (outcome._tag === "Queued" && outcome.fresh ? recorded(actor, "message.retry")(outcome.message) : [])
      )
      switch (outcome._tag) {
        case "NotFound":
          return yield* MessageNotFound.of(id)
        case "Refused":
          return yield* outcome.refusal.reason === "channel_not_configured"
            ? notConfigured(outcome.refusal.setup)
            : new MessageConflict({ id, status: outcome.status, reason: outcome.refusal.reason, message: outcome.refusal.message })
        case "Queued":
          yield* Effect.logInfo(`Message ${id} queued again`)
          return yield* annotateOne(outcome.message)
      }
    })

    /** Every channel: can it send, as whom, and how much of its cap and spacing is used. */
    const channels = Effect.fn("Messages.channels")(function*() {
      const usage = yield* repo.usage(caps)
      return AllChannels.map((channel: Channel): ChannelStatus => {
        const used = usage.channels[channel]
        return {
          channel,
          configured: setup[channel].configured,
          missing: setup[channel].missing,
          sendsAs: setup[channel].sendsAs,
          sentLast24h: used.sentLast24h,
          dailyCap: caps[channel],
          queued: used.queued,
          nextSendAt: setup[channel].configured ? nextSendAt(used, caps[channel], usage.now).toISOString() : null
        }
      })
    })

    return { queue, queueMany, get, list, cancel, retry, channels } as const
  }),
  dependencies: [MessagesRepo.Default, DraftsRepo.Default, Audit.Default]
}) {}
