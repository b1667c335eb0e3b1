import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { Actor } from "../Auth/Api.js"
import { Suppressions } from "../Suppressions.js"

export const HttpSuppressionsLive = HttpApiBuilder.group(Api, "suppressions", (handlers) =>
  Effect.gen(function*() {
    const suppressions = yield* Suppressions
    return handlers
      .handle("list", ({ urlParams }) => suppressions.list(urlParams))
      .handle("add", ({ payload }) => Effect.flatMap(Actor, (actor) => suppressions.add(payload, actor.name)))
      .handle("remove", ({ path }) => Effect.flatMap(Actor, (actor) => suppressions.remove(path.id, actor.name)))
      .handle("import", ({ payload }) =>
        Effect.flatMap(Actor, (actor) => suppressions.importCsv(typeof payload === "string" ? payload : payload.csv, actor.name)))
      .handle("export", () => suppressions.exportCsv())
  }))
