import { HttpClientRequest } from "@effect/platform"
import { Effect, Option, Redacted, Schema } from "effect"
import type { MessageId } from "../../Domain/Message.js"
import type { ProviderError } from "../../PlatformClient.js"
import { fromProvider, type Json, type Sender } from "./Sender.js"

type Session = typeof Session.Type

/** Where the Bluesky session lives between messages and instances, and where a conversation is noted first. */
export interface SessionStore {
  readonly session: (account: string) => Effect.Effect<Option.Option<Session>, unknown>
  readonly saveSession: (account: string, session: Session) => Effect.Effect<void, unknown>
  /** Recorded before a call whose outcome must be found again after a crash. */
  readonly rememberConversation: (id: MessageId, owner: string, conversationId: string) => Effect.Effect<unknown, unknown>
}

export const Session = Schema.Struct({ did: Schema.String, accessJwt: Schema.String, refreshJwt: Schema.String })
const ChatMessage = Schema.Struct({
  id: Schema.String,
  text: Schema.optional(Schema.String),
  sender: Schema.optional(Schema.Struct({ did: Schema.String })),
  sentAt: Schema.optional(Schema.String)
})
const ChatProxy = { "atproto-proxy": "did:web:api.bsky.chat#bsky_chat" }

/**
 * Bluesky DMs through the sender's PDS: one stored session, refreshed when it expires and re-created only
 * when refreshing fails (createSession allows 30 logins in 5 minutes); the conversation from
 * `getConvoForMembers`, then `sendMessage`, both proxied to the chat service.
 */
export const makeBluesky = (options: {
  readonly pds: string
  readonly identifier: string
  readonly password: Redacted.Redacted
  readonly json: Json
  readonly store: SessionStore
}): Sender => {
  const { identifier, json, password, pds, store: repo } = options
  const xrpc = (method: "GET" | "POST", nsid: string) => HttpClientRequest.make(method)(`${pds}/xrpc/${nsid}`)
  const login = json(
    "Bluesky",
    xrpc("POST", "com.atproto.server.createSession").pipe(
      HttpClientRequest.bodyUnsafeJson({ identifier, password: Redacted.value(password) })
    ),
    Session
  ).pipe(Effect.map(({ body }) => body), Effect.tap((session) => repo.saveSession(identifier, session).pipe(Effect.ignore)))
  const refresh = (refreshJwt: string) =>
    json("Bluesky", xrpc("POST", "com.atproto.server.refreshSession").pipe(HttpClientRequest.bearerToken(refreshJwt)), Session).pipe(
      Effect.map(({ body }) => body),
      Effect.tap((session) => repo.saveSession(identifier, session).pipe(Effect.ignore)),
      Effect.catchTag("ProviderRejected", () => login)
    )
  const expired = (error: ProviderError) =>
    error._tag === "ProviderRejected" && (error.code === "ExpiredToken" || error.code === "InvalidToken" || error.status === 401)

  // One login or refresh at a time in this process: concurrent callers would each spend one of the 30 logins.
  const lock = Effect.unsafeMakeSemaphore(1)
  const stored = repo.session(identifier).pipe(Effect.orElseSucceed(() => Option.none<typeof Session.Type>()))
  const current = lock.withPermits(1)(Effect.flatMap(stored, Option.match({ onNone: () => login, onSome: Effect.succeed })))
  // Another caller may have refreshed while we waited: use its session rather than refreshing again.
  const renewed = (failed: typeof Session.Type) =>
    lock.withPermits(1)(Effect.flatMap(stored, (latest) =>
      Option.isSome(latest) && latest.value.accessJwt !== failed.accessJwt
        ? Effect.succeed(latest.value)
        : refresh(Option.getOrElse(Option.map(latest, (l) => l.refreshJwt), () => failed.refreshJwt))))

  /** Runs a call with the stored session, refreshing it once if it has expired. */
  const authed = <A>(call: (accessJwt: string, did: string) => Effect.Effect<A, ProviderError>) =>
    Effect.gen(function*() {
      const session = yield* current
      return yield* call(session.accessJwt, session.did).pipe(
        Effect.catchIf(expired, () => Effect.flatMap(renewed(session), (fresh) => call(fresh.accessJwt, fresh.did)))
      )
    })

  return {
    send: (message, owner) =>
      authed((token, did) =>
        Effect.gen(function*() {
          const withAuth = (request: HttpClientRequest.HttpClientRequest) =>
            request.pipe(HttpClientRequest.bearerToken(token), HttpClientRequest.setHeaders(ChatProxy))
          const convo = yield* json(
            "Bluesky chat",
            withAuth(xrpc("GET", "chat.bsky.convo.getConvoForMembers").pipe(HttpClientRequest.setUrlParam("members", message.recipient))),
            Schema.Struct({ convo: Schema.Struct({ id: Schema.String }) })
          )
          const convoId = convo.body.convo.id
          // A retry after a crash (or of a failed message queued again): if our message is already in the
          // conversation, it was sent; do not send it twice.
          if (message.sendingStartedAt !== null && (message.attempts > 1 || message.conversationId !== null)) {
            const recent = yield* json(
              "Bluesky chat",
              withAuth(xrpc("GET", "chat.bsky.convo.getMessages").pipe(HttpClientRequest.setUrlParams({ convoId, limit: "50" }))),
              Schema.Struct({ messages: Schema.Array(Schema.Union(ChatMessage, Schema.Unknown)) })
            )
            const started = Date.parse(message.sendingStartedAt)
            const found = recent.body.messages.find((m): m is typeof ChatMessage.Type =>
              Schema.is(ChatMessage)(m) && m.sender?.did === did && m.text === message.body &&
              (m.sentAt === undefined || Date.parse(m.sentAt) >= started - 1000)
            )
            if (found !== undefined) return { providerMessageId: found.id, conversationId: convoId }
          }
          yield* repo.rememberConversation(message.id, owner, convoId).pipe(Effect.ignore)
          const sent = yield* json(
            "Bluesky chat",
            withAuth(xrpc("POST", "chat.bsky.convo.sendMessage")).pipe(
              HttpClientRequest.bodyUnsafeJson({ convoId, message: { text: message.body } })
            ),
            ChatMessage
          )
          return { providerMessageId: sent.body.id, conversationId: convoId }
        })
      ).pipe(Effect.mapError(fromProvider)),
    // A reply is a message in the conversation from anyone but us, after ours.
    replied: (awaiting) =>
      authed((token, did) =>
        Effect.forEach(awaiting.filter((a) => a.conversationId !== null), (a) =>
          json(
            "Bluesky chat",
            xrpc("GET", "chat.bsky.convo.getMessages").pipe(
              HttpClientRequest.setUrlParams({ convoId: a.conversationId!, limit: "50" }),
              HttpClientRequest.bearerToken(token),
              HttpClientRequest.setHeaders(ChatProxy)
            ),
            Schema.Struct({ messages: Schema.Array(Schema.Union(ChatMessage, Schema.Unknown)) })
          ).pipe(Effect.map(({ body }) =>
            body.messages.some((m) =>
              Schema.is(ChatMessage)(m) && m.sender !== undefined && m.sender.did !== did &&
              (m.sentAt === undefined || Date.parse(m.sentAt) >= Date.parse(a.sentAt))
            ) ? [a.recipient] : []
          )), { concurrency: 4 }).pipe(Effect.map((found) => found.flat()))
      )
  }
}
