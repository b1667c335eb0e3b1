import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { Actor } from "../Auth/Api.js"
import { Messages } from "../Messages.js"

export const HttpMessagesLive = HttpApiBuilder.group(Api, "messages", (handlers) =>
  Effect.gen(function*() {
    const messages = yield* Messages
    return handlers
      .handle("send", ({ headers, path }) => Effect.flatMap(Actor, (actor) => messages.queue(path.id, headers["idempotency-key"], actor.name)))
      .handle("sendMany", ({ payload }) => Effect.flatMap(Actor, (actor) => messages.queueMany(payload.draftIds, actor.name)))
      .handle("list", ({ urlParams }) => messages.list(urlParams))
      .handle("get", ({ path }) => messages.get(path.id))
      .handle("cancel", ({ path }) => Effect.flatMap(Actor, (actor) => messages.cancel(path.id, actor.name)))
      .handle("retry", ({ path }) => Effect.flatMap(Actor, (actor) => messages.retry(path.id, actor.name)))
      .handle("channels", () => messages.channels())
  }))
