import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { Drafts } from "../Drafts.js"

export const HttpDraftsLive = HttpApiBuilder.group(Api, "drafts", (handlers) =>
  Effect.gen(function*() {
    const drafts = yield* Drafts
    return handlers
      .handle("create", ({ payload }) => drafts.create(payload))
      .handle("list", ({ urlParams }) => drafts.list(urlParams))
      .handle("get", ({ path }) => drafts.get(path.id))
      .handle("edit", ({ path, payload }) => drafts.edit(path.id, payload.body))
      .handle("remove", ({ path }) => drafts.remove(path.id))
      .handle("approve", ({ path, payload }) => drafts.approve(path.id, payload.approvedBy))
      .handle("reject", ({ path, payload }) => drafts.reject(path.id, payload.reason))
  }))
