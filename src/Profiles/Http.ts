import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { ProfilesPage } from "./Api.js"
import { Actor } from "../Auth/Api.js"
import { encodedJson } from "../Http/Json.js"
import { Profiles } from "../Profiles.js"

export const HttpProfilesLive = HttpApiBuilder.group(Api, "profiles", (handlers) =>
  Effect.gen(function*() {
    const profiles = yield* Profiles
    return handlers
      // The page is read in its encoded form (Profiles/Repo.ts), so it is sent without a second pass of the schema.
      .handle("list", ({ urlParams }) => Effect.map(profiles.list(urlParams), (page) => encodedJson(ProfilesPage, page)))
      .handle("get", ({ path }) => profiles.get(path.id))
      .handle("import", ({ payload }) => Effect.flatMap(Actor, (actor) => profiles.import(payload, actor.name)))
      .handle("optOut", ({ path, payload }) => Effect.flatMap(Actor, (actor) => profiles.optOut(path.id, payload.reason, actor.name)))
      .handle("replied", ({ path }) => Effect.flatMap(Actor, (actor) => profiles.replied(path.id, actor.name)))
      .handle("archive", ({ path }) => Effect.flatMap(Actor, (actor) => profiles.archive(path.id, actor.name)))
  }))
