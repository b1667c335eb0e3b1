import { type HttpClient, type HttpClientRequest } from "@effect/platform"
import { Data, type Effect, type Schema } from "effect"
import type { FetchedJson, ProviderError } from "../../PlatformClient.js"
import type { ClaimedMessage } from "../Repo.js"

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

/** A sent message whose person may have answered since. */
export interface Awaiting {
  readonly recipient: string
  readonly conversationId: string | null
  readonly sentAt: string
}

/** One channel: how a message goes out on it, and (where the channel can tell) who wrote back. */
export interface Sender {
  readonly send: (message: ClaimedMessage, owner: string) => Effect.Effect<Delivered, SendFailed>
  /** Among the given recipients, those who wrote back since our message; channels that cannot tell omit it. */
  readonly replied?: (awaiting: ReadonlyArray<Awaiting>) => Effect.Effect<ReadonlyArray<string>, ProviderError>
}

/** A JSON call to a platform with the channels' timeout, on the platform client. */
export type Json = <A, I>(
  platform: string,
  request: HttpClientRequest.HttpClientRequest,
  schema: Schema.Schema<A, I>
) => Effect.Effect<FetchedJson<A>, ProviderError>

export type Client = HttpClient.HttpClient

// Refusals of the sending account itself (not of this recipient): a configuration problem for the whole channel.
export const ownCredentials = (error: { readonly status?: number; readonly code?: string }) =>
  error.status === 401 || error.status === 403 || error.code === "AuthenticationRequired" || error.code === "InvalidToken" ||
  error.code === "AccountTakedown"

/** A platform's answer as a delivery failure: its rate limit waited for, its refusals kept by their own code. */
export const fromProvider = (error: ProviderError): SendFailed => {
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
