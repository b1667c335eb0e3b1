import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Data, Effect, Option, Redacted, Schema } from "effect"
import { createHmac } from "node:crypto"
import { AppConfig } from "../Config.js"
import type { Channel } from "../Domain/Draft.js"
import { fetchJson, type ProviderError, rateLimitWait, retryAfterHeader } from "../PlatformClient.js"
import { channelSetup } from "./Policy.js"
import { type ClaimedMessage, MessagesRepo } from "./Repo.js"

/** A delivery that did not happen: retried later when `retryable`, otherwise the message fails with `code`. */
export class SendFailed extends Data.TaggedError("SendFailed")<{
  readonly code: string
  readonly detail: string
  readonly retryable: boolean
  readonly retryAt?: Date
}> {}

export interface Delivered {
  readonly providerMessageId: string | null
  readonly conversationId: string | null
}

export interface Sender {
  readonly send: (message: ClaimedMessage, owner: string) => Effect.Effect<Delivered, SendFailed>
  /** Among the given recipients, those who wrote back since our message; channels that cannot tell omit it. */
  readonly replied?: (
    awaiting: ReadonlyArray<{ readonly recipient: string; readonly conversationId: string | null; readonly sentAt: string }>
  ) => Effect.Effect<ReadonlyArray<string>, ProviderError>
}

// Refusals of the sending account itself (not of this recipient): a configuration problem for the whole channel.
const ownCredentials = (error: { readonly status?: number; readonly code?: string }) =>
  error.status === 401 || error.status === 403 || error.code === "AuthenticationRequired" || error.code === "InvalidToken" ||
  error.code === "AccountTakedown"

const fromProvider = (error: ProviderError): SendFailed => {
  switch (error._tag) {
    case "ProviderRateLimited":
      return new SendFailed({ code: "rate_limited", detail: error.reason, retryable: true, retryAt: error.until })
    case "ProviderUnavailable":
      return new SendFailed({ code: "unavailable", detail: error.reason, retryable: true })
    case "ProviderRejected":
      return ownCredentials(error)
        ? new SendFailed({ code: "sender_auth", detail: error.reason, retryable: true })
        : new SendFailed({ code: error.code ?? `http_${error.status ?? "error"}`, detail: error.reason, retryable: false })
  }
}

/** Standard Webhooks: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed by the base64 after `whsec_`. */
export const signWebhook = (secret: string, id: string, timestamp: number, body: string) => {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64")
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`
}

export const makeSenders = Effect.gen(function*() {
  const appConfig = yield* AppConfig
  const { discovery, sending: config } = appConfig
  const setup = channelSetup(appConfig)
  const client = yield* HttpClient.HttpClient
  const repo = yield* MessagesRepo
  const timeout = config.requestTimeout
  const json = <A, I>(platform: string, request: HttpClientRequest.HttpClientRequest, schema: Schema.Schema<A, I>) =>
    fetchJson(platform, request, schema, timeout).pipe(Effect.provideService(HttpClient.HttpClient, client))

  // The same webhook-id on every attempt lets the receiver drop a repeat after a crash.
  const webhook: Sender | undefined = setup.webhook.configured
    ? {
      send: (message) =>
        Effect.gen(function*() {
          const id = `msg_${message.deliveryKey}`
          const timestamp = Math.floor(Date.now() / 1000)
          const body = JSON.stringify({
            type: "outreach.message",
            timestamp: new Date(timestamp * 1000).toISOString(),
            data: {
              messageId: message.id,
              draftId: message.draftId,
              channel: message.channel,
              text: message.body,
              profile: {
                id: message.profileId,
                platform: message.platform,
                handle: message.handle,
                externalId: message.externalId,
                displayName: message.displayName,
                url: message.profileUrl
              }
            }
          })
          const request = HttpClientRequest.post(config.webhookUrl.pipe(Option.getOrThrow)).pipe(
            HttpClientRequest.setHeaders({
              "webhook-id": id,
              "webhook-timestamp": String(timestamp),
              "webhook-signature": signWebhook(Redacted.value(config.webhookSecret.pipe(Option.getOrThrow)), id, timestamp, body)
            }),
            HttpClientRequest.bodyText(body, "application/json")
          )
          const response = yield* client.execute(request).pipe(
            Effect.timeout(timeout),
            Effect.mapError((error) => new SendFailed({ code: "unavailable", detail: `webhook: ${error.message}`, retryable: true }))
          )
          if (response.status >= 200 && response.status < 300) return { providerMessageId: id, conversationId: null }
          if (ownCredentials({ status: response.status })) {
            return yield* new SendFailed({ code: "sender_auth", detail: `webhook answered ${response.status}`, retryable: true })
          }
          if (response.status === 429) {
            const now = Date.now()
            const wait = rateLimitWait(retryAfterHeader(response.headers, now), now)
            const asked = wait.asked !== undefined ? ` (Retry-After asked for longer; waiting until ${wait.until.toISOString()})` : ""
            return yield* new SendFailed({ code: "rate_limited", detail: `webhook answered 429${asked}`, retryable: true, retryAt: wait.until })
          }
          return yield* new SendFailed({
            code: `http_${response.status}`,
            detail: `webhook answered ${response.status}`,
            retryable: response.status >= 500
          })
        }).pipe(Effect.scoped)
    }
    : undefined

  const mastodonToken = discovery.mastodonToken
  const mastodonBase = discovery.mastodonInstanceUrls.get(discovery.mastodonDefaultInstance.toLowerCase()) ??
    `https://${discovery.mastodonDefaultInstance}`
  // A direct status that mentions the person; Mastodon's own Idempotency-Key makes a retry a no-op.
  const mastodon: Sender | undefined = setup.mastodon_dm.configured && Option.isSome(mastodonToken)
    ? {
      send: (message) =>
        json(
          "Mastodon",
          HttpClientRequest.post(`${mastodonBase}/api/v1/statuses`).pipe(
            HttpClientRequest.bearerToken(Redacted.value(mastodonToken.value)),
            HttpClientRequest.setHeader("idempotency-key", message.deliveryKey),
            HttpClientRequest.bodyUnsafeJson({ status: `@${message.recipient} ${message.body}`, visibility: "direct" })
          ),
          Schema.Struct({ id: Schema.String })
        ).pipe(
          Effect.map(({ body }) => ({ providerMessageId: body.id, conversationId: null })),
          Effect.mapError(fromProvider)
        ),
      // A reply is a mention of our account by the person, after our message.
      replied: (awaiting) =>
        json(
          "Mastodon",
          HttpClientRequest.get(`${mastodonBase}/api/v1/notifications`).pipe(
            HttpClientRequest.bearerToken(Redacted.value(mastodonToken.value)),
            HttpClientRequest.setUrlParams([["types[]", "mention"], ["limit", "80"]])
          ),
          Schema.Array(Schema.Struct({
            type: Schema.String,
            created_at: Schema.String,
            account: Schema.Struct({ acct: Schema.String })
          }))
        ).pipe(Effect.map(({ body }) =>
          awaiting.filter((a) =>
            body.some((n) => {
              const acct = n.account.acct.includes("@") ? n.account.acct : `${n.account.acct}@${discovery.mastodonDefaultInstance}`
              return n.type === "mention" && acct.toLowerCase() === a.recipient.toLowerCase() && Date.parse(n.created_at) >= Date.parse(a.sentAt)
            })
          ).map((a) => a.recipient)
        ))
    }
    : undefined

  const bluesky = setup.bluesky_dm.configured
    ? blueskySender(config.blueskyPdsUrl, Option.getOrThrow(config.blueskyIdentifier), Option.getOrThrow(config.blueskyAppPassword), json, repo)
    : undefined

  return { bluesky_dm: bluesky, mastodon_dm: mastodon, webhook } satisfies Record<Channel, Sender | undefined>
})

const Session = Schema.Struct({ did: Schema.String, accessJwt: Schema.String, refreshJwt: Schema.String })
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
const blueskySender = (
  pds: string,
  identifier: string,
  password: Redacted.Redacted,
  json: <A, I>(platform: string, request: HttpClientRequest.HttpClientRequest, schema: Schema.Schema<A, I>) => Effect.Effect<
    { readonly body: A },
    ProviderError
  >,
  repo: MessagesRepo
): Sender => {
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
