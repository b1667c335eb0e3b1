import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { Actor } from "../Auth/Api.js"
import { Erasure } from "../Erasure.js"

export const HttpErasureLive = HttpApiBuilder.group(Api, "erasure", (handlers) =>
  Effect.gen(function*() {
    const erasure = yield* Erasure
    return handlers
      .handle("erase", ({ path }) => Effect.flatMap(Actor, (actor) => erasure.erase(path.id, actor.name)))
      .handle("export", ({ path }) => Effect.flatMap(Actor, (actor) => erasure.export(path.id, actor.name)))
  }))
