import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { Health } from "../Health.js"

export const HttpHealthLive = HttpApiBuilder.group(Api, "health", (handlers) =>
  Effect.gen(function*() {
    const health = yield* Health
    return handlers
      .handle("live", () => Effect.succeed({ status: "live" as const }))
      .handle("ready", () => health.ready())
  }))
