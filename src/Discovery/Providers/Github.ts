import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect, Option, Redacted, Schema } from "effect"
import { AppConfig } from "../../Config.js"
import { DefaultDiscoveryLimit, GithubFilters } from "../../Domain/DiscoveryJob.js"
import type { ProfileInput } from "../../Domain/Profile.js"
import { fetchJson, ProviderRejected } from "../../PlatformClient.js"
import type { Provider } from "../Provider.js"

const SearchUsers = Schema.Struct({
  total_count: Schema.Number,
  incomplete_results: Schema.optional(Schema.Boolean),
  items: Schema.Array(Schema.Struct({ login: Schema.String, id: Schema.Number, type: Schema.optional(Schema.String) }))
})

const User = Schema.Struct({
  login: Schema.String,
  id: Schema.Number,
  name: Schema.optional(Schema.NullOr(Schema.String)),
  bio: Schema.optional(Schema.NullOr(Schema.String)),
  location: Schema.optional(Schema.NullOr(Schema.String)),
  blog: Schema.optional(Schema.NullOr(Schema.String)),
  html_url: Schema.String,
  avatar_url: Schema.optional(Schema.String),
  followers: Schema.optional(Schema.Number)
})

const State = Schema.Struct({ page: Schema.optional(Schema.Int) })

// GitHub search returns at most 1,000 results per query, 100 per page.
const ResultCap = 1000
const PerPageMax = 100

const qualifier = (name: string, value: string) => `${name}:${/\s/.test(value) ? `"${value.replace(/"/g, "")}"` : value}`

/** The `q` of `/search/users`: free text plus one qualifier per filter, people only. */
export const githubQuery = (filters: typeof GithubFilters.Type) =>
  [
    filters.query,
    "type:user",
    filters.location !== undefined ? qualifier("location", filters.location) : undefined,
    filters.language !== undefined ? qualifier("language", filters.language) : undefined,
    filters.minFollowers !== undefined ? `followers:>=${filters.minFollowers}` : undefined,
    filters.minRepos !== undefined ? `repos:>=${filters.minRepos}` : undefined,
    filters.createdAfter !== undefined ? `created:>=${filters.createdAfter}` : undefined
  ].filter((part) => part !== undefined).join(" ")

/** GitHub `/search/users`, each hit enriched by `/users/{login}` for name, bio, location and blog. */
export const GithubProvider = Effect.gen(function*() {
  const config = yield* AppConfig
  const client = yield* HttpClient.HttpClient
  const { githubToken, githubUrl, requestTimeout } = config.discovery

  const request = (path: string) => {
    const base = HttpClientRequest.get(`${githubUrl}${path}`).pipe(
      HttpClientRequest.setHeaders({
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28"
      })
    )
    return Option.match(githubToken, {
      onNone: () => base,
      onSome: (token) => HttpClientRequest.bearerToken(base, Redacted.value(token))
    })
  }

  const page: Provider["page"] = (rawFilters, rawState, wanted) =>
    Effect.gen(function*() {
      const filters = yield* Schema.decodeUnknown(GithubFilters)(rawFilters).pipe(
        Effect.mapError(() => new ProviderRejected({ reason: "The job's GitHub filters are not valid" }))
      )
      const { page = 1 } = yield* Schema.decodeUnknown(State)(rawState).pipe(
        Effect.mapError(() => new ProviderRejected({ reason: "The job's saved GitHub page is not valid" }))
      )
      // A fixed page size for the whole job, so page numbers keep meaning the same rows.
      const perPage = Math.min(PerPageMax, filters.limit ?? DefaultDiscoveryLimit)
      const search = yield* fetchJson(
        "GitHub",
        request("/search/users").pipe(
          HttpClientRequest.setUrlParams({ q: githubQuery(filters), per_page: String(perPage), page: String(page) })
        ),
        SearchUsers,
        requestTimeout
      )
      const hits = search.body.items.filter((item) => item.type === undefined || item.type === "User").slice(0, wanted)
      const rawHits = search.json as { items: Array<{ login?: unknown }> }
      const profiles: Array<ProfileInput> = []
      let pauseUntil = search.quotaResetsAt
      for (const hit of hits) {
        const basic: ProfileInput = {
          platform: "github",
          externalId: String(hit.id),
          handle: hit.login,
          displayName: null,
          bio: null,
          location: null,
          url: `https://github.com/${hit.login}`,
          avatarUrl: null,
          followersCount: null,
          acceptsDms: null,
          raw: rawHits.items.find((item) => item.login === hit.login) ?? hit
        }
        // Once the per-user quota is spent (60 an hour without a token), keep the rest of the page as found.
        if (pauseUntil !== undefined) {
          profiles.push(basic)
          continue
        }
        const user = yield* fetchJson("GitHub", request(`/users/${encodeURIComponent(hit.login)}`), User, requestTimeout).pipe(
          Effect.map((fetched) => ({ ...fetched, missing: false })),
          Effect.catchTags({
            // Renamed or deleted since the search index was built.
            ProviderRejected: (error) =>
              /\(404\)/.test(error.reason) ? Effect.succeed({ body: undefined, json: undefined, quotaResetsAt: undefined, missing: true }) : Effect.fail(error),
            ProviderRateLimited: (error) => Effect.succeed({ body: undefined, json: undefined, quotaResetsAt: error.until, missing: false })
          })
        )
        if (user.quotaResetsAt !== undefined) pauseUntil = user.quotaResetsAt
        if (user.missing) continue
        const u = user.body
        if (u === undefined) {
          profiles.push(basic)
          continue
        }
        profiles.push({
          ...basic,
          externalId: String(u.id),
          handle: u.login,
          displayName: u.name || null,
          bio: u.bio || null,
          location: u.location || null,
          url: u.html_url,
          avatarUrl: u.avatar_url ?? null,
          followersCount: u.followers ?? null,
          raw: user.json
        })
      }
      const reachable = Math.min(search.body.total_count, ResultCap)
      const more = search.body.items.length === perPage && page * perPage < reachable
      return { profiles, next: more ? { page: page + 1 } : null, pauseUntil }
    }).pipe(Effect.provideService(HttpClient.HttpClient, client))

  return { page } satisfies Provider
})
