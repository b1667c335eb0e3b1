import { HttpClientRequest } from "@effect/platform"
import { Duration, Effect, Redacted } from "effect"
import { Webhook } from "standardwebhooks"
import { rateLimitWait, retryAfterHeader } from "../../PlatformClient.js"
import { type Client, ownCredentials, SendFailed, type Sender } from "./Sender.js"

/**
 * Standard Webhooks (https://www.standardwebhooks.com/): a signed POST to the team's own endpoint, for teams
 * that send through their own tools. Signed by the `standardwebhooks` library; the same `webhook-id` on every
 * attempt lets the receiver drop a repeat after a crash. 2xx is delivered; 5xx and timeouts are retried; a
 * 429 waits for its `Retry-After`; 401 and 403 mean our secret or URL is wrong (`sender_auth`).
 */
export const makeWebhook = (options: {
  readonly url: string
  readonly secret: Redacted.Redacted
  readonly timeout: Duration.Duration
  readonly client: Client
}): Sender => {
  const signer = new Webhook(Redacted.value(options.secret))
  return {
    send: (message) =>
      Effect.gen(function*() {
        const id = `msg_${message.deliveryKey}`
        const at = new Date(Math.floor(Date.now() / 1000) * 1000)
        const body = JSON.stringify({
          type: "outreach.message",
          timestamp: at.toISOString(),
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
        const request = HttpClientRequest.post(options.url).pipe(
          HttpClientRequest.setHeaders({
            "webhook-id": id,
            "webhook-timestamp": String(at.getTime() / 1000),
            "webhook-signature": signer.sign(id, at, body)
          }),
          HttpClientRequest.bodyText(body, "application/json")
        )
        const response = yield* options.client.execute(request).pipe(
          Effect.timeout(options.timeout),
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
}
