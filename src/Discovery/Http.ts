import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { Discovery } from "../Discovery.js"

export const HttpDiscoveryLive = HttpApiBuilder.group(Api, "discovery", (handlers) =>
  Effect.gen(function*() {
    const discovery = yield* Discovery
    return handlers
      .handle("start", ({ payload }) => discovery.start(payload))
      .handle("list", ({ urlParams }) => discovery.list(urlParams))
      .handle("get", ({ path }) => discovery.get(path.id))
      .handle("cancel", ({ path }) => discovery.cancel(path.id))
  }))
