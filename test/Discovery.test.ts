import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { UserAgent } from "../src/PlatformClient.js"
import { call, pgAppLayer, type Reply } from "./support/App.js"
import { ensure, eventually, stays } from "./support/Eventually.js"
import { fakeBluesky, fakeGithub, fakeMastodon } from "./support/FakePlatforms.js"

type Fakes = {
  readonly bluesky: Awaited<ReturnType<typeof fakeBluesky>>
  readonly mastodon: Awaited<ReturnType<typeof fakeMastodon>>
  readonly github: Awaited<ReturnType<typeof fakeGithub>>
}
class Platforms extends Context.Tag("test/Platforms")<Platforms, Fakes>() {}

const FakesLive = Layer.scoped(
  Platforms,
  Effect.acquireRelease(
    Effect.promise(async () => ({
      bluesky: await fakeBluesky(250),
      mastodon: await fakeMastodon("fosstodon.org", 100),
      github: await fakeGithub(1500)
    })),
    (fakes) => Effect.promise(() => Promise.all([fakes.bluesky.close(), fakes.mastodon.close(), fakes.github.close()]))
  )
)

const App = Layer.unwrapEffect(
  Effect.map(Platforms, (fakes) =>
    pgAppLayer({
      BLUESKY_APPVIEW_URL: fakes.bluesky.url,
      GITHUB_API_URL: fakes.github.url,
      GITHUB_TOKEN: "ghp_test_token",
      MASTODON_INSTANCE_URLS: `fosstodon.org=${fakes.mastodon.url}`,
      DISCOVERY_WORKERS: "2",
      DISCOVERY_POLL_INTERVAL: "50 millis",
      DISCOVERY_RETRY_BASE: "100 millis",
      DISCOVERY_MAX_ATTEMPTS: "3",
      DISCOVERY_LEASE: "5 seconds",
      PROVIDER_REQUEST_TIMEOUT: "1 second"
    }, { workers: true }))
).pipe(Layer.provideMerge(FakesLive))

const start = (body: unknown) =>
  Effect.gen(function*() {
    const reply = yield* call("POST", "/api/social/discover", { body })
    expect(reply.status).toBe(202)
    return reply.body.id as number
  })

/** The job, once it has reached one of `statuses`. */
const until = (id: number, statuses: ReadonlyArray<string>) =>
  eventually(
    Effect.flatMap(call("GET", `/api/social/discover/${id}`), (reply: Reply) =>
      Effect.as(ensure(statuses.includes(reply.body.status), `job ${id} is ${reply.body.status}`), reply.body)),
    { within: "20 seconds", what: `job ${id} to be ${statuses.join(" or ")}` }
  ).pipe(Effect.orDie)

const rows = <A extends object>(query: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, unknown>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.orDie(query(sql)))

layer(App, { timeout: "90 seconds", excludeTestServices: true })("Discovery against platform fakes", (it) => {
  it.effect("Bluesky: cursor pages up to the limit, enriched with follower counts, stored once", () =>
    Effect.gen(function*() {
      const id = yield* start({ platform: "bluesky", filters: { query: "rustlang", limit: 120 } })
      const job = yield* until(id, ["succeeded", "failed"])
      expect(job).toMatchObject({ status: "succeeded", pagesFetched: 2, profilesFound: 120, profilesNew: 120, attempts: 1, lastError: null })
      const stored = yield* rows((sql) =>
        sql<{ externalId: string; handle: string; followersCount: number; acceptsDms: boolean | null; discoveryJobId: number }>`
          SELECT external_id, handle, followers_count, accepts_dms, discovery_job_id FROM social_profiles
          WHERE platform = 'bluesky' AND handle LIKE 'rustlang%' ORDER BY external_id`)
      expect(stored).toHaveLength(120)
      expect(stored[0]).toMatchObject({ externalId: "did:plc:rustlang000001", followersCount: 10, acceptsDms: false, discoveryJobId: id })
      expect(stored[1]!.acceptsDms).toBe(null)
      expect(stored[2]!.acceptsDms).toBe(true)
      const { bluesky } = yield* Platforms
      const searches = bluesky.requests.filter((r) => r.path.endsWith("searchActors") && r.query.get("q") === "rustlang")
      expect(searches.map((r) => [r.query.get("limit"), r.query.get("cursor")])).toEqual([["100", null], ["20", "100"]])
      expect(bluesky.requests.filter((r) => r.path.endsWith("getProfiles")).every((r) => r.query.getAll("actors").length <= 25)).toBe(true)
    }))

  it.effect("a profile found again is updated, not duplicated, and keeps its outreach status", () =>
    Effect.gen(function*() {
      const first = yield* start({ platform: "bluesky", filters: { query: "zig", limit: 30 } })
      yield* until(first, ["succeeded"])
      yield* rows((sql) => sql`UPDATE social_profiles SET status = 'contacted', display_name = 'Old' WHERE external_id = 'did:plc:zig000001' RETURNING id`)
      const second = yield* start({ platform: "bluesky", filters: { query: "zig", limit: 30 } })
      const job = yield* until(second, ["succeeded"])
      expect(job).toMatchObject({ profilesFound: 30, profilesNew: 0 })
      const [profile] = yield* rows((sql) =>
        sql<{ status: string; displayName: string; discoveryJobId: number; lastDiscoveryJobId: number; count: number }>`
          SELECT status, display_name, discovery_job_id, last_discovery_job_id,
            (SELECT count(*)::int FROM social_profiles WHERE handle LIKE 'zig%') AS count
          FROM social_profiles WHERE external_id = 'did:plc:zig000001'`)
      expect(profile).toEqual({ status: "contacted", displayName: "Person 1", discoveryJobId: first, lastDiscoveryJobId: second, count: 30 })
      // The API says where they were found: the job that found them first.
      const listed = yield* call("GET", "/api/social/profiles?platform=bluesky&q=zig1.bsky.social")
      expect(listed.body.items).toEqual([expect.objectContaining({ handle: "zig1.bsky.social", source: "discovery", discoveryJobId: first })])
    }))

  it.effect("a 429 with Retry-After makes the job wait, not fail; 5xx and malformed JSON are retried", () =>
    Effect.gen(function*() {
      const { bluesky } = yield* Platforms
      // Bluesky's own headers: RateLimit-* with an epoch-seconds reset, no Retry-After.
      bluesky.inject("/xrpc/app.bsky.actor.searchActors", {
        kind: "status",
        status: 429,
        headers: { "ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": String(Math.floor(Date.now() / 1000) + 2), "ratelimit-policy": "3000;w=300" },
        body: { error: "RateLimitExceeded", message: "Rate Limit Exceeded" }
      })
      const limited = yield* start({ platform: "bluesky", filters: { query: "ocaml", limit: 10 } })
      const waiting = yield* until(limited, ["rate_limited"])
      expect(waiting.lastError).toContain("RateLimitExceeded")
      expect(Date.parse(waiting.nextRunAt)).toBeGreaterThan(Date.now())
      const done = yield* until(limited, ["succeeded", "failed"])
      expect(done).toMatchObject({ status: "succeeded", attempts: 1, profilesFound: 10 })

      bluesky.inject("/xrpc/app.bsky.actor.searchActors", { kind: "status", status: 502, body: { error: "UpstreamFailure" } }, { kind: "malformed" })
      const flaky = yield* start({ platform: "bluesky", filters: { query: "haskell", limit: 10 } })
      expect(yield* until(flaky, ["succeeded", "failed"])).toMatchObject({ status: "succeeded", attempts: 3, profilesFound: 10 })
    }))

  it.effect("a job that keeps failing gives up after the configured attempts, with the reason", () =>
    Effect.gen(function*() {
      const { bluesky } = yield* Platforms
      bluesky.inject("/xrpc/app.bsky.actor.searchActors", ...Array.from({ length: 3 }, () => ({ kind: "status" as const, status: 503, body: { error: "Unavailable" } })))
      const id = yield* start({ platform: "bluesky", filters: { query: "cobol", limit: 10 } })
      const job = yield* until(id, ["succeeded", "failed"])
      expect(job).toMatchObject({ status: "failed", attempts: 3 })
      expect(job.lastError).toContain("Gave up after 3 attempts")
      expect(job.lastError).toContain("503")
    }))

  it.effect("a changed response shape fails at once; slow answers time out and are retried", () =>
    Effect.gen(function*() {
      const { bluesky } = yield* Platforms
      bluesky.inject("/xrpc/app.bsky.actor.searchActors", { kind: "missingField" })
      const changed = yield* start({ platform: "bluesky", filters: { query: "elixir", limit: 10 } })
      const failed = yield* until(changed, ["succeeded", "failed"])
      expect(failed).toMatchObject({ status: "failed", attempts: 1 })
      expect(failed.lastError).toContain("unexpected shape")
      expect(failed.lastError).toContain("handle")

      bluesky.inject("/xrpc/app.bsky.actor.searchActors", { kind: "delay", ms: 1500 })
      const slow = yield* start({ platform: "bluesky", filters: { query: "erlang", limit: 10 } })
      expect(yield* until(slow, ["succeeded", "failed"])).toMatchObject({ status: "succeeded", attempts: 2 })
    }))

  it.effect("pagination edge cases end the job: an empty page, a repeated cursor", () =>
    Effect.gen(function*() {
      const { bluesky } = yield* Platforms
      bluesky.inject("/xrpc/app.bsky.actor.searchActors", { kind: "empty" })
      const empty = yield* start({ platform: "bluesky", filters: { query: "nothing", limit: 50 } })
      expect(yield* until(empty, ["succeeded", "failed"])).toMatchObject({ status: "succeeded", profilesFound: 0, pagesFetched: 1 })

      bluesky.inject("/xrpc/app.bsky.actor.searchActors", { kind: "repeatCursor" }, { kind: "repeatCursor" })
      const loop = yield* start({ platform: "bluesky", filters: { query: "loop", limit: 500 } })
      const job = yield* until(loop, ["succeeded", "failed"])
      expect(job.status).toBe("succeeded")
      expect(job.pagesFetched).toBeLessThanOrEqual(2)
    }))

  it.effect("Mastodon: one page without a token, full acct ids, bots and noindex accounts left out", () =>
    Effect.gen(function*() {
      const id = yield* start({ platform: "mastodon", filters: { instance: "fosstodon.org", query: "rust", limit: 200 } })
      const job = yield* until(id, ["succeeded", "failed"])
      expect(job).toMatchObject({ status: "succeeded", pagesFetched: 1, profilesFound: 38 })
      const { mastodon } = yield* Platforms
      const search = mastodon.requests.filter((r) => r.path === "/api/v2/search")
      expect(search).toHaveLength(1)
      expect(search[0]!.query.get("type")).toBe("accounts")
      expect(search[0]!.query.get("offset")).toBeNull()
      expect(search[0]!.headers.authorization).toBeUndefined()
      const stored = yield* rows((sql) =>
        sql<{ externalId: string; bio: string; location: string }>`SELECT external_id, bio, location FROM social_profiles
          WHERE platform = 'mastodon' ORDER BY followers_count LIMIT 3`)
      expect(stored.map((p) => p.externalId)).toEqual(["user1@remote.example", "user2@fosstodon.org", "user4@fosstodon.org"])
      expect(stored[0]).toMatchObject({ bio: "I build things & more", location: "Lisbon" })
    }))

  it.effect("Mastodon directory: offset pages through the opt-in directory", () =>
    Effect.gen(function*() {
      const id = yield* start({ platform: "mastodon", filters: { instance: "fosstodon.org", mode: "directory", limit: 100 } })
      expect(yield* until(id, ["succeeded", "failed"])).toMatchObject({ status: "succeeded", pagesFetched: 2, profilesFound: 100 })
      const { mastodon } = yield* Platforms
      expect(mastodon.requests.filter((r) => r.path === "/api/v1/directory").map((r) => r.query.get("offset"))).toEqual(["0", "80"])
    }))

  it.effect("GitHub: qualifiers from filters, a token, per-user enrichment", () =>
    Effect.gen(function*() {
      const id = yield* start({ platform: "github", filters: { location: "New York", language: "TypeScript", minFollowers: 50, minRepos: 5, createdAfter: "2015-01-01", limit: 12 } })
      expect(yield* until(id, ["succeeded", "failed"])).toMatchObject({ status: "succeeded", profilesFound: 12 })
      const { github } = yield* Platforms
      const search = github.requests.find((r) => r.path === "/search/users")!
      expect(search.query.get("q")).toBe("type:user location:\"New York\" language:TypeScript followers:>=50 repos:>=5 created:>=2015-01-01")
      expect(search.query.get("per_page")).toBe("12")
      expect(search.headers.authorization).toBe("Bearer ghp_test_token")
      expect(search.headers["x-github-api-version"]).toBe("2022-11-28")
      const [dev2] = yield* rows((sql) =>
        sql<{ displayName: string; location: string; url: string; externalId: string }>`
          SELECT display_name, location, url, external_id FROM social_profiles WHERE platform = 'github' AND handle = 'dev2'`)
      expect(dev2).toEqual({ displayName: "Developer 2", location: "Berlin, Germany", url: "https://github.com/dev2", externalId: "5000002" })
      const [raw] = yield* rows((sql) => sql<{ blog: string; publicRepos: number }>`
        SELECT raw->>'blog' AS blog, (raw->>'public_repos')::int AS public_repos FROM social_profiles WHERE platform = 'github' AND handle = 'dev2'`)
      expect(raw).toEqual({ blog: "dev2.example", publicRepos: 10 })
    }))

  it.effect("GitHub: a spent quota (403, X-RateLimit-Remaining: 0) waits until X-RateLimit-Reset; a 422 fails at once", () =>
    Effect.gen(function*() {
      const { github } = yield* Platforms
      // Far enough ahead that the one-second minimum wait does not apply.
      const reset = Math.floor(Date.now() / 1000) + 3
      github.inject("/search/users", {
        kind: "status",
        status: 403,
        headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
        body: { message: "API rate limit exceeded for user ID 1.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" }
      })
      const id = yield* start({ platform: "github", filters: { query: "quota", limit: 5 } })
      const waiting = yield* until(id, ["rate_limited"])
      expect(Date.parse(waiting.nextRunAt)).toBe(reset * 1000)
      expect(waiting.lastError).toContain("API rate limit exceeded")
      expect(yield* until(id, ["succeeded", "failed"])).toMatchObject({ status: "succeeded", attempts: 1 })

      github.inject("/search/users", { kind: "status", status: 422, body: { message: "Validation Failed", errors: [{ code: "invalid" }] } })
      const invalid = yield* start({ platform: "github", filters: { query: "bad", limit: 5 } })
      const failed = yield* until(invalid, ["succeeded", "failed"])
      expect(failed).toMatchObject({ status: "failed", attempts: 1 })
      expect(failed.lastError).toContain("422")
      expect(failed.lastError).toContain("Validation Failed")
    }))

  it.effect("a rate-limit reset centuries ahead waits an hour at most and says so; every request names us and carries no tracing headers", () =>
    Effect.gen(function*() {
      const { bluesky, github, mastodon } = yield* Platforms
      github.inject("/search/users", {
        kind: "status",
        status: 403,
        headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "9999999999" },
        body: { message: "API rate limit exceeded for user ID 1." }
      })
      const id = yield* start({ platform: "github", filters: { query: "forever", limit: 5 } })
      const waiting = yield* until(id, ["rate_limited"])
      const wait = Date.parse(waiting.nextRunAt) - Date.now()
      expect(wait).toBeGreaterThan(59 * 60_000)
      expect(wait).toBeLessThanOrEqual(60 * 60_000)
      expect(waiting.lastError).toContain("it asked to wait until 2286-11-20T17:46:39.000Z; waiting 1h at most")
      expect((yield* call("POST", `/api/social/discover/${id}/cancel`)).status).toBe(200)

      const seen = [...bluesky.requests, ...mastodon.requests, ...github.requests]
      expect(github.requests.length).toBeGreaterThan(0)
      for (const request of seen) {
        expect(request.headers["user-agent"]).toBe(UserAgent)
        expect(request.headers["traceparent"]).toBeUndefined()
        expect(request.headers["b3"]).toBeUndefined()
      }
    }))

  it.effect("GitHub: a per-user quota spent mid-page keeps the page as found and waits; a vanished user is skipped", () =>
    Effect.gen(function*() {
      const { github } = yield* Platforms
      github.inject("/users/dev3", { kind: "status", status: 404, body: { message: "Not Found" } })
      github.inject("/users/dev4", {
        kind: "status",
        status: 403,
        headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 1) },
        body: { message: "API rate limit exceeded for 127.0.0.1." }
      })
      const id = yield* start({ platform: "github", filters: { query: "quota-users", limit: 5 } })
      const job = yield* until(id, ["succeeded", "failed"])
      // Four on the first page (dev3 is gone), then the job waited for the quota and took dev6 from the next.
      expect(job).toMatchObject({ status: "succeeded", pagesFetched: 2, profilesFound: 5 })
      const stored = yield* rows((sql) =>
        sql<{ handle: string; enriched: boolean }>`SELECT handle, raw ? 'name' AS enriched FROM social_profiles
          WHERE last_discovery_job_id = ${id} ORDER BY handle`)
      expect(stored).toEqual([
        { handle: "dev1", enriched: true },
        { handle: "dev2", enriched: true },
        { handle: "dev4", enriched: false },
        { handle: "dev5", enriched: false },
        { handle: "dev6", enriched: true }
      ])
    }))

  it.effect("GitHub: a secondary rate limit (403 naming it, no headers) waits instead of failing", () =>
    Effect.gen(function*() {
      const { github } = yield* Platforms
      github.inject("/search/users", {
        kind: "status",
        status: 403,
        body: { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }
      })
      const id = yield* start({ platform: "github", filters: { query: "secondary", limit: 2 } })
      const waiting = yield* until(id, ["rate_limited", "failed"])
      expect(waiting.status).toBe("rate_limited")
      expect(Date.parse(waiting.nextRunAt) - Date.now()).toBeGreaterThan(30_000)
    }))

  it.effect("a running job can be cancelled: the worker stops at its next write, what it saved stays", () =>
    Effect.gen(function*() {
      const { bluesky } = yield* Platforms
      bluesky.slow("/xrpc/app.bsky.actor.searchActors", 400)
      const id = yield* start({ platform: "bluesky", filters: { query: "cancelme", limit: 250 } })
      yield* eventually(
        Effect.flatMap(call("GET", `/api/social/discover/${id}`), (job: Reply) => ensure(job.body.pagesFetched >= 1, "no page yet")),
        { what: "a first page" }
      )
      const cancelled = yield* call("POST", `/api/social/discover/${id}/cancel`)
      expect(cancelled.status).toBe(200)
      expect(cancelled.body.status).toBe("cancelled")
      // The worker's page in flight comes back, and its write is refused: nothing more is saved.
      const asked = bluesky.requests.filter((r) => r.query.get("q") === "cancelme").length
      yield* eventually(Effect.suspend(() => ensure(bluesky.inFlight() === 0, "a page is still in flight")), { what: "the page in flight to be answered" })
      bluesky.slow("/xrpc/app.bsky.actor.searchActors", 0)
      const after: Reply = yield* stays(
        Effect.flatMap(call("GET", `/api/social/discover/${id}`), (job: Reply) =>
          job.body.status === "cancelled" && job.body.pagesFetched === cancelled.body.pagesFetched
            ? Effect.succeed(job)
            : Effect.die(`the cancelled job moved on: ${JSON.stringify(job.body)}`)),
        { during: "500 millis" }
      )
      expect(bluesky.requests.filter((r) => r.query.get("q") === "cancelme").length).toBe(asked)
      const [stored] = yield* rows((sql) =>
        sql<{ n: number }>`SELECT count(*)::int AS n FROM social_profiles WHERE last_discovery_job_id = ${id}`)
      expect(stored!.n).toBe(after.body.profilesFound)
      const again = yield* call("POST", `/api/social/discover/${id}/cancel`)
      expect(again.status).toBe(409)
      expect(again.body).toMatchObject({ _tag: "DiscoveryJobFinished", status: "cancelled" })
    }))
  it.effect("GET /discover lists jobs newest first, by status and platform, in keyset pages that visit each job once", () =>
    Effect.gen(function*() {
      yield* start({ platform: "github", filters: { query: "listing", limit: 1 } })
      const all = yield* rows((sql) => sql<{ id: number; platform: string; status: string }>`
        SELECT id::int, platform, status FROM social_discovery_jobs ORDER BY id DESC`)
      expect(all.length).toBeGreaterThan(3)
      const seen: Array<number> = []
      let cursor: string | null = null
      do {
        const page: Reply = yield* call("GET", `/api/social/discover?limit=2${cursor !== null ? `&cursor=${cursor}` : ""}`)
        expect(page.status).toBe(200)
        seen.push(...page.body.items.map((job: { id: number }) => job.id))
        cursor = page.body.nextCursor
      } while (cursor !== null && seen.length < all.length + 2)
      // Jobs added while paging would come before the first page; none of the listed ones repeat or go missing.
      expect(seen).toEqual(all.map((job) => job.id))
      const github = yield* call("GET", "/api/social/discover?platform=github&limit=100")
      expect(github.body.items.map((job: { id: number }) => job.id)).toEqual(all.filter((job) => job.platform === "github").map((job) => job.id))
      const cancelled = yield* call("GET", "/api/social/discover?status=cancelled&limit=100")
      expect(cancelled.body.items.length).toBeGreaterThan(0)
      expect(cancelled.body.items.every((job: { status: string }) => job.status === "cancelled")).toBe(true)
      expect((yield* call("GET", "/api/social/discover?status=done")).status).toBe(400)
    }))
})
