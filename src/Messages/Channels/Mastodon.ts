import { HttpClientRequest } from "@effect/platform"
import { Effect, Redacted, Schema } from "effect"
import { fromProvider, type Json, type Sender } from "./Sender.js"

const Notification = Schema.Struct({
  type: Schema.String,
  created_at: Schema.String,
  account: Schema.Struct({ acct: Schema.String })
})

/**
 * A Mastodon direct status that mentions the person (`@user@host`), from the account of the default
 * instance's token. Mastodon's own `Idempotency-Key` (kept an hour) makes a retry after a crash a no-op.
 * A reply is a mention of our account by the person, after our message.
 */
export const makeMastodon = (options: {
  readonly base: string
  readonly instance: string
  readonly token: Redacted.Redacted
  readonly json: Json
}): Sender => {
  const authorized = (request: HttpClientRequest.HttpClientRequest) =>
    HttpClientRequest.bearerToken(request, Redacted.value(options.token))
  return {
    send: (message) =>
      options.json(
        "Mastodon",
        HttpClientRequest.post(`${options.base}/api/v1/statuses`).pipe(
          authorized,
          HttpClientRequest.setHeader("idempotency-key", message.deliveryKey),
          HttpClientRequest.bodyUnsafeJson({ status: `@${message.recipient} ${message.body}`, visibility: "direct" })
        ),
        Schema.Struct({ id: Schema.String })
      ).pipe(
        Effect.map(({ body }) => ({ providerMessageId: body.id, conversationId: null })),
        Effect.mapError(fromProvider)
      ),
    replied: (awaiting) =>
      options.json(
        "Mastodon",
        HttpClientRequest.get(`${options.base}/api/v1/notifications`).pipe(
          authorized,
          HttpClientRequest.setUrlParams([["types[]", "mention"], ["limit", "80"]])
        ),
        Schema.Array(Notification)
      ).pipe(Effect.map(({ body }) =>
        awaiting.filter((a) =>
          body.some((n) => {
            const acct = n.account.acct.includes("@") ? n.account.acct : `${n.account.acct}@${options.instance}`
            return n.type === "mention" && acct.toLowerCase() === a.recipient.toLowerCase() &&
              Date.parse(n.created_at) >= Date.parse(a.sentAt)
          })
        ).map((a) => a.recipient)
      ))
  }
}
