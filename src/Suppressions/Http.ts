import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { Suppressions } from "../Suppressions.js"

export const HttpSuppressionsLive = HttpApiBuilder.group(Api, "suppressions", (handlers) =>
  Effect.gen(function*() {
    const suppressions = yield* Suppressions
    return handlers
      .handle("list", ({ urlParams }) => suppressions.list(urlParams))
      .handle("add", ({ payload }) => suppressions.add(payload))
      .handle("remove", ({ path }) => suppressions.remove(path.id))
      .handle("import", ({ payload }) => suppressions.importCsv(typeof payload === "string" ? payload : payload.csv))
      .handle("export", () => suppressions.exportCsv())
  }))
