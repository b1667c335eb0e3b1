import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { Messages } from "../Messages.js"

export const HttpMessagesLive = HttpApiBuilder.group(Api, "messages", (handlers) =>
  Effect.gen(function*() {
    const messages = yield* Messages
    return handlers
      .handle("send", ({ headers, path }) => messages.queue(path.id, headers["idempotency-key"]))
      .handle("sendMany", ({ payload }) => messages.queueMany(payload.draftIds))
      .handle("list", ({ urlParams }) => messages.list(urlParams))
      .handle("get", ({ path }) => messages.get(path.id))
      .handle("cancel", ({ path }) => messages.cancel(path.id))
      .handle("retry", ({ path }) => messages.retry(path.id))
      .handle("channels", () => messages.channels())
  }))
