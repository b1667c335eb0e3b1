import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { Profiles } from "../Profiles.js"

export const HttpProfilesLive = HttpApiBuilder.group(Api, "profiles", (handlers) =>
  Effect.gen(function*() {
    const profiles = yield* Profiles
    return handlers
      .handle("list", ({ urlParams }) => profiles.list(urlParams))
      .handle("get", ({ path }) => profiles.get(path.id))
      .handle("import", ({ payload }) => profiles.import(payload))
      .handle("optOut", ({ path, payload }) => profiles.optOut(path.id, payload.reason))
      .handle("replied", ({ path }) => profiles.replied(path.id))
      .handle("archive", ({ path }) => profiles.archive(path.id))
  }))
