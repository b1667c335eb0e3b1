import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { Actor } from "../Auth/Api.js"
import { Drafts } from "../Drafts.js"

export const HttpDraftsLive = HttpApiBuilder.group(Api, "drafts", (handlers) =>
  Effect.gen(function*() {
    const drafts = yield* Drafts
    return handlers
      .handle("create", ({ payload }) => Effect.flatMap(Actor, (actor) => drafts.create(payload, actor.name)))
      .handle("list", ({ urlParams }) => drafts.list(urlParams))
      .handle("get", ({ path }) => drafts.get(path.id))
      .handle("edit", ({ path, payload }) => Effect.flatMap(Actor, (actor) => drafts.edit(path.id, payload.body, actor.name)))
      .handle("remove", ({ path }) => Effect.flatMap(Actor, (actor) => drafts.remove(path.id, actor.name)))
      .handle("approve", ({ path }) => Effect.flatMap(Actor, (actor) => drafts.approve(path.id, actor.name)))
      .handle("reject", ({ path, payload }) => Effect.flatMap(Actor, (actor) => drafts.reject(path.id, payload.reason, actor.name)))
  }))
