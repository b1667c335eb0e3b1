import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import packageJson from "../package.json" with { type: "json" }
import { call, pgAppLayer, rawCall } from "./support/App.js"

/** What the edge answers before an endpoint runs: bodies, media types, sizes, ids, and how a bad field is said. */

const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`INSERT INTO social_profiles (platform, external_id, handle, display_name) VALUES ('github', '1', 'octo', 'Octo Cat'),
    ('github', '2', 'hubot', 'Hubot')`
  yield* sql`INSERT INTO social_drafts (profile_id, channel, body) SELECT id, 'webhook', 'Hello ' || handle FROM social_profiles`
})

const App = pgAppLayer({ MAX_BODY_BYTES: "65536" }).pipe(Layer.tap((context) => Effect.orDie(Effect.provide(seed, context))))

const count = (table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql(table)}`.pipe(Effect.map((rows) => rows[0]!.n), Effect.orDie))

layer(App, { timeout: "60 seconds", excludeTestServices: true })("The edge", (it) => {
  it.effect("a DELETE (or GET) with a stray body is refused before anything is deleted", () =>
    Effect.gen(function*() {
      const before = yield* count("social_drafts")
      const deleted = yield* rawCall("DELETE", "/api/social/drafts/1", { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "x" })
      expect(deleted.status).toBe(400)
      expect(deleted.body).toEqual({ _tag: "BadRequest", message: "DELETE /api/social/drafts/:id takes no request body" })
      expect(yield* count("social_drafts")).toBe(before)
      const listed = yield* rawCall("GET", "/api/social/profiles", { headers: { "content-type": "application/json" }, body: "{\"q\":1}" })
      expect(listed.status).toBe(400)
    }))

  it.effect("a body that is not JSON, or has no media type, is a 415 naming application/json; nothing is written", () =>
    Effect.gen(function*() {
      const before = yield* count("social_suppressions")
      const body = JSON.stringify({ platform: "github", handle: "someone" })
      for (const type of ["text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", undefined]) {
        const reply = yield* rawCall("POST", "/api/social/suppressions", { headers: type ? { "content-type": type } : {}, body })
        expect(reply.status, String(type)).toBe(415)
        expect(reply.body._tag).toBe("UnsupportedMediaType")
        expect(reply.body.message).toContain("application/json")
      }
      const charset = yield* rawCall("POST", "/api/social/suppressions", { headers: { "content-type": "application/json; charset=utf-8" }, body })
      expect(charset.status).toBe(201)
      expect(yield* count("social_suppressions")).toBe(before + 1)
    }))

  it.effect("the suppression import also takes text/csv, with the reason column optional per row", () =>
    Effect.gen(function*() {
      const reply = yield* rawCall("POST", "/api/social/suppressions/import", {
        headers: { "content-type": "text/csv" },
        body: "platform,handle,reason\ngithub,csv-one\nmastodon,x@y.z,gdpr\n"
      })
      expect(reply.status).toBe(200)
      expect(reply.body).toEqual({ accepted: 2, rejected: [] })
      const elsewhere = yield* rawCall("POST", "/api/social/suppressions", { headers: { "content-type": "text/csv" }, body: "a,b" })
      expect(elsewhere.status).toBe(415)
      // As many rows as a profile import at most, whole or not at all.
      const huge = yield* rawCall("POST", "/api/social/suppressions/import", {
        headers: { "content-type": "text/csv" },
        body: "platform,handle\n" + Array.from({ length: 10_001 }, (_, i) => `github,many${i}`).join("\n")
      })
      expect(huge.status).toBe(400)
      expect(huge.body).toMatchObject({ _tag: "ImportRejected", message: expect.stringContaining("At most 10000 rows") })
    }))

  it.effect("a body over MAX_BODY_BYTES is a 413 naming it; an import may be as large as MAX_IMPORT_BYTES", () =>
    Effect.gen(function*() {
      const big = yield* call("POST", "/api/social/suppressions", { body: { platform: "github", handle: "x", reason: "r".repeat(70_000) } })
      expect(big.status).toBe(413)
      expect(big.body).toEqual({ _tag: "PayloadTooLarge", message: "Request body is larger than the limit of 65536 bytes (MAX_BODY_BYTES)" })
      // The README's 10,000 profiles in one JSON import fit the default import limit.
      const profiles = Array.from({ length: 10_000 }, (_, i) => ({
        platform: "mastodon",
        handle: `person${i}@example.social`,
        displayName: `Person ${i}`,
        bio: "Writes about distributed systems, cooking and the odd bicycle repair."
      }))
      const imported = yield* call("POST", "/api/social/profiles/import", { body: { format: "json", profiles } })
      expect(imported.status).toBe(200)
      expect(imported.body).toMatchObject({ accepted: 10_000, rejected: [] })
    }))

  it.effect("JSON nested too deep, and text PostgreSQL cannot store, are 400s naming where; nothing is written", () =>
    Effect.gen(function*() {
      const before = yield* count("social_profiles")
      const deep = yield* rawCall("POST", "/api/social/drafts", { headers: { "content-type": "application/json" }, body: "[".repeat(20_000) + "]".repeat(20_000) })
      expect(deep.status).toBe(400)
      expect(deep.body.message).toBe("The JSON body is nested deeper than 32 levels")
      const nul = yield* call("POST", "/api/social/profiles/import", {
        body: { format: "json", profiles: [{ platform: "github", handle: "ok" }, { platform: "github", handle: "a\u0000b" }] }
      })
      expect(nul.status).toBe(400)
      expect(nul.body.message).toBe("profiles.1.handle: must not contain a NUL character (\\u0000)")
      const surrogate = yield* rawCall("POST", "/api/social/suppressions", {
        headers: { "content-type": "application/json" },
        body: "{\"platform\":\"github\",\"handle\":\"x\",\"reason\":\"\\ud800\"}"
      })
      expect(surrogate.status).toBe(400)
      expect(surrogate.body.message).toBe("reason: must be well-formed Unicode (it holds a lone surrogate)")
      const query = yield* call("GET", "/api/social/profiles?q=%00")
      expect(query.status).toBe(400)
      expect(query.body.message).toContain("q: must not contain a NUL character")
      const huge = yield* call("POST", "/api/social/profiles/import", {
        body: { format: "json", profiles: [{ platform: "github", handle: "big", followersCount: 3_000_000_000 }] }
      })
      expect(huge.body).toMatchObject({ accepted: 0, rejected: [{ row: 1, reason: expect.stringContaining("followersCount") }] })
      expect(yield* count("social_profiles")).toBe(before)
    }))

  it.effect("a bad field is said in one short line per field", () =>
    Effect.gen(function*() {
      const limit = yield* call("GET", "/api/social/profiles?limit=500")
      expect(limit.status).toBe(400)
      expect(limit.body.message).toBe("limit: must be 1 to 100")
      const platform = yield* call("GET", "/api/social/profiles?platform=myspace")
      expect(platform.body.message).toBe("platform: one of bluesky, mastodon, github, linkedin")
      const missing = yield* call("POST", "/api/social/suppressions", { body: { handle: "x" } })
      expect(missing.body.message).toBe("platform: is missing")
      expect(missing.body.issues.length).toBeGreaterThan(0)
    }))

  it.effect("ids are digits only", () =>
    Effect.gen(function*() {
      expect((yield* call("GET", "/api/social/profiles/1")).status).toBe(200)
      for (const id of ["1e0", "0x1", "+1", "%201", "01", "1.0", "0", "9999999999999999"]) {
        const reply = yield* call("GET", `/api/social/profiles/${id}`)
        expect(reply.status, id).toBe(400)
        expect(reply.body.message, id).toContain("id: must be a positive whole number")
      }
      expect((yield* call("GET", "/api/social/profiles?limit=1e1")).status).toBe(400)
    }))

  it.effect("bodies with only optional fields may be left out", () =>
    Effect.gen(function*() {
      const approved = yield* rawCall("POST", "/api/social/drafts/1/approve")
      expect(approved.status, JSON.stringify(approved.body)).toBe(200)
      expect(approved.body.status).toBe("approved")
      const rejected = yield* rawCall("POST", "/api/social/drafts/2/reject", { headers: { "content-type": "application/json" }, body: "" })
      expect(rejected.status).toBe(200)
      const optedOut = yield* rawCall("POST", "/api/social/profiles/2/opt-out")
      expect(optedOut.status).toBe(200)
      expect(optedOut.body.status).toBe("opted_out")
    }))

  it.effect("the OpenAPI document carries the package's version", () =>
    Effect.gen(function*() {
      const spec = yield* call("GET", "/openapi.json")
      expect(spec.body.info.version).toBe(packageJson.version)
    }))
})
