import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect, Option, Redacted, Schema } from "effect"
import { AppConfig } from "../../Config.js"
import { MastodonFilters } from "../../Domain/DiscoveryJob.js"
import type { ProfileInput } from "../../Domain/Profile.js"
import { Outbound } from "../../Outbound.js"
import { fetchJson, ProviderRejected } from "../../PlatformClient.js"
import type { Provider } from "../Provider.js"

const Account = Schema.Struct({
  id: Schema.String,
  username: Schema.String,
  acct: Schema.String,
  display_name: Schema.optional(Schema.String),
  note: Schema.optional(Schema.String),
  url: Schema.optional(Schema.NullOr(Schema.String)),
  avatar: Schema.optional(Schema.String),
  followers_count: Schema.optional(Schema.Number),
  bot: Schema.optional(Schema.Boolean),
  discoverable: Schema.optional(Schema.NullOr(Schema.Boolean)),
  noindex: Schema.optional(Schema.NullOr(Schema.Boolean)),
  suspended: Schema.optional(Schema.Boolean),
  moved: Schema.optional(Schema.Unknown),
  fields: Schema.optional(Schema.Array(Schema.Struct({ name: Schema.String, value: Schema.String })))
})
type Account = typeof Account.Type

const Search = Schema.Struct({ accounts: Schema.Array(Account) })
const Directory = Schema.Array(Account)
const State = Schema.Struct({ offset: Schema.optional(Schema.Int) })

// API maxima: search returns up to 40 accounts per page, the directory up to 80.
const SearchPageMax = 40
const DirectoryPageMax = 80

const stripHtml = (html: string) =>
  html.replace(/<br\s*\/?>/gi, "\n").replace(/<\/p>\s*<p>/gi, "\n\n").replace(/<[^>]*>/g, "")
    .replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&#39;/g, "'")
    .trim()

/**
 * Accounts that asked not to be found (not discoverable, noindex), bots, and suspended or moved accounts
 * are left out: they are not people to write to.
 */
const wanted = (account: Account) =>
  account.discoverable !== false && account.noindex !== true && account.bot !== true &&
  account.suspended !== true && account.moved == null

const toProfile = (instance: string, account: Account, raw: unknown): ProfileInput => {
  const acct = account.acct.includes("@") ? account.acct : `${account.acct}@${instance}`
  const location = account.fields?.find((field) => /^(location|where|based in)$/i.test(field.name.trim()))
  return {
    platform: "mastodon",
    externalId: acct.toLowerCase(),
    handle: acct,
    displayName: account.display_name || null,
    bio: account.note ? stripHtml(account.note) || null : null,
    location: location ? stripHtml(location.value) || null : null,
    url: account.url ?? null,
    avatarUrl: account.avatar ?? null,
    followersCount: account.followers_count ?? null,
    acceptsDms: null,
    raw
  }
}

/**
 * One Mastodon instance's `/api/v2/search?type=accounts` (first page only without a token: the API
 * refuses `offset` to anonymous callers) or its opt-in profile directory `/api/v1/directory`.
 */
export const MastodonProvider = Effect.gen(function*() {
  const config = yield* AppConfig
  const client = yield* HttpClient.HttpClient
  const outbound = yield* Outbound
  const { mastodonDefaultInstance, mastodonInstanceUrls, mastodonToken, requestTimeout } = config.discovery

  const page: Provider["page"] = (rawFilters, rawState, want) =>
    Effect.gen(function*() {
      const filters = yield* Schema.decodeUnknown(MastodonFilters)(rawFilters).pipe(
        Effect.mapError(() => new ProviderRejected({ reason: "The job's Mastodon filters are not valid" }))
      )
      const { offset = 0 } = yield* Schema.decodeUnknown(State)(rawState).pipe(
        Effect.mapError(() => new ProviderRejected({ reason: "The job's saved Mastodon offset is not valid" }))
      )
      const instance = (filters.instance ?? mastodonDefaultInstance).toLowerCase()
      // An instance the operator listed is reached as configured; any other goes through the outbound guard.
      const listed = mastodonInstanceUrls.get(instance)
      const base = listed ?? `https://${instance}`
      // The configured token belongs to the default instance only.
      const token = instance === mastodonDefaultInstance.toLowerCase() ? Option.getOrUndefined(mastodonToken) : undefined
      const directory = filters.mode === "directory"
      const limit = Math.min(directory ? DirectoryPageMax : SearchPageMax, want)
      const params: Array<[string, string]> = directory
        ? [["limit", String(limit)], ["offset", String(offset)], ["order", "active"]]
        : [["q", filters.query ?? ""], ["type", "accounts"], ["limit", String(limit)]]
      if (!directory && token !== undefined && offset > 0) params.push(["offset", String(offset)])
      let request = HttpClientRequest.get(`${base}${directory ? "/api/v1/directory" : "/api/v2/search"}`).pipe(
        HttpClientRequest.setUrlParams(params),
        HttpClientRequest.acceptJson
      )
      if (token !== undefined) request = HttpClientRequest.bearerToken(request, Redacted.value(token))
      const fetched = yield* (directory
        ? fetchJson("Mastodon", request, Directory, requestTimeout).pipe(
          Effect.map((result) => ({ ...result, raw: result.json as Array<unknown> }))
        )
        : fetchJson("Mastodon", request, Search, requestTimeout).pipe(
          Effect.map((result) => ({ ...result, body: result.body.accounts, raw: (result.json as { accounts: Array<unknown> }).accounts }))
        )).pipe(Effect.provideService(HttpClient.HttpClient, listed !== undefined ? client : outbound.client))
      const accounts = fetched.body
      const query = filters.query?.toLowerCase()
      const matches = (a: Account) =>
        !directory || query === undefined || `${a.acct} ${a.display_name ?? ""} ${a.note ?? ""}`.toLowerCase().includes(query)
      const more = accounts.length >= limit && (directory || token !== undefined)
      return {
        profiles: accounts.flatMap((account, i) =>
          matches(account) && wanted(account) ? [toProfile(instance, account, fetched.raw[i])] : []
        ),
        next: more ? { offset: offset + accounts.length } : null,
        pauseUntil: fetched.quotaResetsAt
      }
    })

  return { page } satisfies Provider
})
