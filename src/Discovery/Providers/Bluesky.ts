import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect, Schema } from "effect"
import { AppConfig } from "../../Config.js"
import { BlueskyFilters } from "../../Domain/DiscoveryJob.js"
import type { ProfileInput } from "../../Domain/Profile.js"
import { fetchJson, ProviderRejected } from "../../PlatformClient.js"
import type { PageState, Provider } from "../Provider.js"

const ProfileView = Schema.Struct({
  did: Schema.String,
  handle: Schema.String,
  displayName: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  avatar: Schema.optional(Schema.String),
  associated: Schema.optional(Schema.Struct({
    chat: Schema.optional(Schema.Struct({ allowIncoming: Schema.optional(Schema.String) }))
  }))
})

const SearchActors = Schema.Struct({ cursor: Schema.optional(Schema.String), actors: Schema.Array(ProfileView) })

const GetProfiles = Schema.Struct({
  profiles: Schema.Array(Schema.Struct({ did: Schema.String, followersCount: Schema.optional(Schema.Number) }))
})

const State = Schema.Struct({ cursor: Schema.optional(Schema.String), seen: Schema.optional(Schema.Array(Schema.String)) })

// Lexicon limits: searchActors takes up to 100, getProfiles up to 25 actors per call.
const SearchPageMax = 100
const ProfilesBatch = 25

// Without a chat declaration Bluesky lets only people one follows write: unknown for a stranger.
const acceptsDms = (allowIncoming: string | undefined) =>
  allowIncoming === "all" ? true : allowIncoming === "none" ? false : null

/** Bluesky's public AppView: `app.bsky.actor.searchActors` by cursor, enriched by `getProfiles` for counts. */
export const BlueskyProvider = Effect.gen(function*() {
  const config = yield* AppConfig
  const client = yield* HttpClient.HttpClient
  const base = config.discovery.blueskyUrl
  const timeout = config.discovery.requestTimeout
  const get = <A, I>(path: string, params: ReadonlyArray<[string, string]>, schema: Schema.Schema<A, I>) =>
    fetchJson(
      "Bluesky",
      HttpClientRequest.get(`${base}/xrpc/${path}`).pipe(
        HttpClientRequest.setUrlParams(params),
        HttpClientRequest.acceptJson
      ),
      schema,
      timeout
    ).pipe(Effect.provideService(HttpClient.HttpClient, client))

  const page: Provider["page"] = (rawFilters, rawState, wanted) =>
    Effect.gen(function*() {
      const filters = yield* decodeFilters(rawFilters)
      const state = yield* decodeState(rawState)
      const params: Array<[string, string]> = [["q", filters.query], ["limit", String(Math.min(SearchPageMax, wanted))]]
      if (state.cursor !== undefined) params.push(["cursor", state.cursor])
      const search = yield* get("app.bsky.actor.searchActors", params, SearchActors)
      const actors = search.body.actors
      const counts = new Map<string, number>()
      for (let i = 0; i < actors.length; i += ProfilesBatch) {
        const batch = actors.slice(i, i + ProfilesBatch).map((a): [string, string] => ["actors", a.did])
        const enriched = yield* get("app.bsky.actor.getProfiles", batch, GetProfiles)
        for (const p of enriched.body.profiles) if (p.followersCount !== undefined) counts.set(p.did, p.followersCount)
      }
      const rawActors = (search.json as { actors: Array<unknown> }).actors
      const profiles = actors.map((actor, i): ProfileInput => ({
        platform: "bluesky",
        externalId: actor.did,
        handle: actor.handle,
        displayName: actor.displayName ?? null,
        bio: actor.description ?? null,
        location: null,
        url: `https://bsky.app/profile/${actor.handle}`,
        avatarUrl: actor.avatar ?? null,
        followersCount: counts.get(actor.did) ?? null,
        acceptsDms: acceptsDms(actor.associated?.chat?.allowIncoming),
        raw: rawActors[i]
      }))
      // A cursor seen before would loop forever: treat it as the end.
      const seen = state.seen ?? []
      const cursor = search.body.cursor
      const ended = cursor === undefined || actors.length === 0 || cursor === state.cursor || seen.includes(cursor)
      const next: PageState | null = ended ? null : { cursor, seen: [...seen, cursor].slice(-20) }
      return { profiles, next, pauseUntil: search.quotaResetsAt }
    })

  return { page } satisfies Provider
})

const decodeState = (state: unknown) =>
  Schema.decodeUnknown(State)(state).pipe(
    Effect.mapError(() => new ProviderRejected({ reason: "The job's saved Bluesky cursor is not valid" }))
  )

const decodeFilters = (filters: unknown) =>
  Schema.decodeUnknown(BlueskyFilters)(filters).pipe(
    Effect.mapError(() => new ProviderRejected({ reason: "The job's Bluesky filters are not valid" }))
  )
