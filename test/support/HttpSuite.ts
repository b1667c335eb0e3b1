import { HttpClient, HttpClientRequest } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { assert, expect, layer } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { ProfileId, ProfileNotFound } from "../../src/Domain/Profile.js"
import { apiClient, call } from "./App.js"

const SeededProfiles = 130

const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    INSERT INTO social_profiles (platform, external_id, handle, display_name, status, followers_count)
    SELECT (ARRAY['bluesky', 'mastodon', 'github'])[1 + n % 3], 'ext-' || n, 'user' || n || '.example',
      CASE WHEN n = 7 THEN 'Ada 100%_Lovelace' ELSE 'Person ' || n END,
      CASE WHEN n % 10 = 0 THEN 'contacted' ELSE 'new' END, n
    FROM generate_series(1, ${SeededProfiles}) AS n`
})

const count = (table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql(table)}`.pipe(Effect.map((rows) => rows[0]!.n), Effect.orDie))

/** What every HTTP test checks, run against one database backend (real PostgreSQL or embedded PGlite). */
export const httpSuite = <A, E>(name: string, app: Layer.Layer<A | SqlClient.SqlClient | HttpClient.HttpClient, E>) =>
  layer(app.pipe(Layer.tap((context) => Effect.orDie(Effect.provide(seed, context)))), { timeout: "90 seconds", excludeTestServices: true })(name, (it) => {
    it.effect("health: live, ready, and the docs are served", () =>
      Effect.gen(function*() {
        const api = yield* apiClient
        expect(yield* api.health.live()).toEqual({ status: "live" })
        expect(yield* api.health.ready()).toEqual({ status: "ready", workers: [] })
        const spec = yield* call("GET", "/openapi.json")
        expect(spec.status).toBe(200)
        expect(Object.keys(spec.body.paths)).toEqual(
          expect.arrayContaining(["/api/social/discover", "/api/social/discover/{id}", "/api/social/profiles", "/health/ready"])
        )
        const docs = yield* call("GET", "/docs")
        expect(docs.status).toBe(200)
        expect(docs.headers["content-type"]).toContain("text/html")
      }))

    it.effect("discover: a valid request per platform is recorded as a queued job and can be read back", () =>
      Effect.gen(function*() {
        const before = yield* count("social_discovery_jobs")
        const api = yield* apiClient
        const starts = [
          api.discovery.start({ payload: { platform: "bluesky", filters: { query: "effect ts", limit: 200 } } }),
          api.discovery.start({ payload: { platform: "mastodon", filters: { instance: "fosstodon.org", query: "rust" } } }),
          api.discovery.start({ payload: { platform: "mastodon", filters: { mode: "directory" } } }),
          api.discovery.start({ payload: { platform: "github", filters: { location: "Berlin", language: "TypeScript", minFollowers: 50 } } })
        ]
        for (const start of starts) {
          const created = yield* start
          expect(created).toMatchObject({ status: "queued", attempts: 0 })
          expect(yield* api.discovery.get({ path: { id: created.id } })).toEqual(created)
        }
        // A raw body: the typed client would refuse to send untrimmed text.
        const trimmed = yield* call("POST", "/api/social/discover", { body: { platform: "bluesky", filters: { query: "  effect ts  ", limit: 200 } } })
        expect(trimmed.status).toBe(202)
        expect(trimmed.body.filters).toEqual({ query: "effect ts", limit: 200 })
        expect(yield* count("social_discovery_jobs")).toBe(before + starts.length + 1)
      }))

    it.effect("discover: an unknown job is 404 and a malformed id 400", () =>
      Effect.gen(function*() {
        const missing = yield* call("GET", "/api/social/discover/999999")
        expect(missing.status).toBe(404)
        expect(missing.body).toMatchObject({ _tag: "DiscoveryJobNotFound", id: 999999 })
        const malformed = yield* call("GET", "/api/social/discover/abc")
        expect(malformed.status).toBe(400)
        expect(malformed.body.issues[0].path).toEqual(["id"])
      }))

    it.effect("discover: bad input is a 400 that names the field, and nothing is written", () =>
      Effect.gen(function*() {
        const before = yield* count("social_discovery_jobs")
        const cases: Array<[string, { body?: unknown; raw?: string }, string]> = [
          ["invalid JSON", { raw: "{\"platform\": \"bluesky\", " }, "not valid JSON"],
          ["unknown platform", { body: { platform: "myspace", filters: {} } }, "platform"],
          ["wrong type", { body: { platform: "bluesky", filters: { query: "x", limit: "ten" } } }, "limit"],
          ["out of range", { body: { platform: "bluesky", filters: { query: "x", limit: 5000 } } }, "limit"],
          ["unknown filter", { body: { platform: "github", filters: { location: "Oslo", colour: "red" } } }, "colour"],
          ["missing filters", { body: { platform: "bluesky" } }, "filters"],
          ["empty query", { body: { platform: "bluesky", filters: { query: "   " } } }, "query"],
          ["bad instance", { body: { platform: "mastodon", filters: { instance: "not a host", query: "x" } } }, "instance"],
          ["no criteria", { body: { platform: "github", filters: {} } }, "at least one of"],
          ["not an object", { raw: "[1,2,3]" }, "HttpApiDecodeError"]
        ]
        for (const [label, request, mentions] of cases) {
          const reply = yield* call("POST", "/api/social/discover", request)
          assert.strictEqual(reply.status, 400, `${label}: ${JSON.stringify(reply.body)}`)
          assert.include(JSON.stringify(reply.body), mentions, label)
        }
        const oversize = yield* call("POST", "/api/social/discover", { body: { platform: "bluesky", filters: { query: "x".repeat(1_100_000) } } })
        expect(oversize.status).toBe(413)
        expect(oversize.body).toEqual({ _tag: "PayloadTooLarge", message: expect.stringContaining("MAX_BODY_BYTES") })
        expect(yield* count("social_discovery_jobs")).toBe(before)
      }))

    it.effect("a chunked request body (no Content-Length) gets a 400 that says so, not a dropped connection", () =>
      Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient
        const before = yield* count("social_discovery_jobs")
        const body = new TextEncoder().encode(JSON.stringify({ platform: "bluesky", filters: { query: "chunked" } }))
        const response = yield* client.execute(
          HttpClientRequest.post("/api/social/discover").pipe(
            HttpClientRequest.bodyStream(Stream.make(body), { contentType: "application/json" })
          )
        )
        expect(response.status).toBe(400)
        expect((yield* response.json) as unknown).toMatchObject({ _tag: "BadRequest", message: expect.stringContaining("Content-Length") })
        expect(yield* count("social_discovery_jobs")).toBe(before)
      }).pipe(Effect.scoped, Effect.orDie))

    it.effect("discover: LinkedIn is a 422 that points to import, and nothing is written", () =>
      Effect.gen(function*() {
        const before = yield* count("social_discovery_jobs")
        const reply = yield* call("POST", "/api/social/discover", { body: { platform: "linkedin" } })
        expect(reply.status).toBe(422)
        expect(reply.body._tag).toBe("Unprocessable")
        expect(reply.body.message).toContain("Connections.csv")
        expect(yield* count("social_discovery_jobs")).toBe(before)
      }))

    it.effect("profiles: keyset pages visit every profile exactly once, newest first", () =>
      Effect.gen(function*() {
        const seen: Array<number> = []
        let cursor: string | null = null
        let pages = 0
        do {
          const reply: { status: number; body: any } = yield* call(
            "GET",
            `/api/social/profiles?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`
          )
          expect(reply.status).toBe(200)
          seen.push(...reply.body.items.map((p: { id: number }) => p.id))
          cursor = reply.body.nextCursor
          pages++
        } while (cursor !== null && pages < 10)
        expect(pages).toBe(Math.ceil(SeededProfiles / 50))
        expect(seen).toHaveLength(SeededProfiles)
        expect(new Set(seen).size).toBe(SeededProfiles)
        expect(seen).toEqual([...seen].sort((a, b) => b - a))
        const first = yield* call("GET", "/api/social/profiles")
        expect(first.body.items).toHaveLength(50)
        expect(first.body.items[0]).toMatchObject({ handle: `user${SeededProfiles}.example`, status: "contacted" })
        expect(typeof first.body.items[0].createdAt).toBe("string")
      }))

    it.effect("profiles: filters by platform, status and text; LIKE wildcards in the text are literal", () =>
      Effect.gen(function*() {
        const api = yield* apiClient
        const list = (urlParams: Parameters<typeof api.profiles.list>[0]["urlParams"]) => api.profiles.list({ urlParams })
        const github = yield* list({ platform: "github", limit: 100 })
        expect(github.items.length).toBeGreaterThan(0)
        expect(github.items.every((p) => p.platform === "github")).toBe(true)
        expect((yield* list({ status: "contacted", limit: 100 })).items).toHaveLength(SeededProfiles / 10)
        expect((yield* list({ q: "USER12." })).items.map((p) => p.handle)).toEqual(["user12.example"])
        expect((yield* list({ q: "100%_L" })).items.map((p) => p.displayName)).toEqual(["Ada 100%_Lovelace"])
        expect((yield* list({ q: "%" })).items).toHaveLength(1)
      }))

    it.effect("profiles: bad parameters are a 400 naming them", () =>
      Effect.gen(function*() {
        for (const [query, param] of [["limit=0", "limit"], ["limit=101", "limit"], ["limit=abc", "limit"], ["cursor=nope", "cursor"], ["platform=friendster", "platform"], ["status=gone", "status"]]) {
          const reply = yield* call("GET", `/api/social/profiles?${query}`)
          assert.strictEqual(reply.status, 400, query)
          assert.deepStrictEqual(reply.body.issues[0].path, [param], query)
        }
      }))

    it.effect("profiles: one by id, or a 404", () =>
      Effect.gen(function*() {
        const api = yield* apiClient
        const [first] = (yield* api.profiles.list({ urlParams: { limit: 1 } })).items
        expect(yield* api.profiles.get({ path: { id: first!.id } })).toEqual(first)
        const missing = yield* Effect.flip(api.profiles.get({ path: { id: ProfileId.make(987654) } }))
        expect(missing).toBeInstanceOf(ProfileNotFound)
        expect(missing).toMatchObject({ _tag: "ProfileNotFound", id: 987654 })
      }))

    it.effect("every response carries a request id; a well-formed incoming one is kept", () =>
      Effect.gen(function*() {
        const generated = yield* call("GET", "/health/live")
        expect(generated.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/)
        const kept = yield* call("GET", "/nowhere", { headers: { "x-request-id": "trace-42" } })
        expect(kept.status).toBe(404)
        expect(kept.headers["x-request-id"]).toBe("trace-42")
        const replaced = yield* call("GET", "/health/live", { headers: { "x-request-id": "bad id\twith tab" } })
        expect(replaced.headers["x-request-id"]).not.toBe("bad id\twith tab")
      }))
  })
