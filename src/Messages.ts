import { Effect, Option } from "effect"
import { AppConfig } from "./Config.js"
import { type DraftId, DraftNotFound } from "./Domain/Draft.js"
import { type MessageId, MessageNotFound, type MessageStatus } from "./Domain/Message.js"
import { toPage } from "./Domain/Page.js"
import { MessagesRepo } from "./Messages/Repo.js"

export class Messages extends Effect.Service<Messages>()("Messages", {
  effect: Effect.gen(function*() {
    const repo = yield* MessagesRepo
    const { discovery, sending } = yield* AppConfig
    const configured = {
      bluesky_dm: Option.isSome(sending.blueskyIdentifier) && Option.isSome(sending.blueskyAppPassword),
      mastodon_dm: Option.isSome(discovery.mastodonToken),
      webhook: Option.isSome(sending.webhookUrl) && Option.isSome(sending.webhookSecret)
    }

    /** Queues an approved draft's message; the same draft or the same key always gives the same message. */
    const queue = Effect.fn("Messages.queue")(function*(draftId: DraftId, idempotencyKey: string | undefined) {
      const queued = yield* repo.queue(draftId, idempotencyKey)
      const message = yield* Option.match(queued, { onNone: () => Effect.fail(DraftNotFound.of(draftId)), onSome: Effect.succeed })
      if (message.status === "queued" && message.attempts === 0 && !configured[message.channel]) {
        yield* Effect.logWarning(`Message ${message.id} queued on ${message.channel}, which is not configured: it waits`)
      }
      return message
    })

    const get = Effect.fn("Messages.get")(function*(id: MessageId) {
      return yield* Effect.flatMap(repo.findById(id), Option.match({
        onNone: () => Effect.fail(new MessageNotFound({ id, message: `No message with id ${id}` })),
        onSome: Effect.succeed
      }))
    })

    const list = Effect.fn("Messages.list")(function*(params: {
      readonly status?: MessageStatus | undefined
      readonly cursor?: number | undefined
      readonly limit?: number | undefined
    }) {
      const limit = params.limit ?? 50
      const rows = yield* repo.list(params.status, params.cursor, limit + 1)
      return toPage(rows, limit)
    })

    /** The bulk form: each draft queued or refused on its own, with the same rules and reasons. */
    const queueMany = Effect.fn("Messages.queueMany")(function*(draftIds: ReadonlyArray<DraftId>) {
      const outcomes = yield* Effect.forEach(draftIds, (draftId) =>
        queue(draftId, undefined).pipe(
          Effect.map((message) => ({ _tag: "queued" as const, message })),
          Effect.catchTags({
            SendRefused: (refused) => Effect.succeed({ _tag: "refused" as const, refused: { draftId, reason: refused.reason, message: refused.message } }),
            DraftNotFound: (missing) => Effect.succeed({ _tag: "refused" as const, refused: { draftId, reason: "not_found", message: missing.message } })
          })
        ))
      return {
        queued: outcomes.flatMap((o) => (o._tag === "queued" ? [o.message] : [])),
        refused: outcomes.flatMap((o) => (o._tag === "refused" ? [o.refused] : []))
      }
    })

    return { queue, queueMany, get, list } as const
  }),
  dependencies: [MessagesRepo.Default]
}) {}
