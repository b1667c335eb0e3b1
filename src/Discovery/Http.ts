import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { Actor } from "../Auth/Api.js"
import { Discovery } from "../Discovery.js"

export const HttpDiscoveryLive = HttpApiBuilder.group(Api, "discovery", (handlers) =>
  Effect.gen(function*() {
    const discovery = yield* Discovery
    return handlers
      .handle("start", ({ payload }) => Effect.flatMap(Actor, (actor) => discovery.start(payload, actor.name)))
      .handle("list", ({ urlParams }) => discovery.list(urlParams))
      .handle("get", ({ path }) => discovery.get(path.id))
      .handle("cancel", ({ path }) => Effect.flatMap(Actor, (actor) => discovery.cancel(path.id, actor.name)))
  }))
