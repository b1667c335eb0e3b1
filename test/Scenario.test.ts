import type { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { appLayer, call } from "./support/App.js"
import { ensure, eventually } from "./support/Eventually.js"
import { adminUrl, freshDatabase, query } from "./support/Database.js"
import { migrate } from "./support/Process.js"
import { makeProxy } from "./support/Proxy.js"

/** The service on a fresh database, reached through a proxy the test can cut. */
const withService = <A, E>(body: (direct: string, proxy: Awaited<ReturnType<typeof makeProxy>>) => Effect.Effect<A, E, HttpClient.HttpClient>) =>
  Effect.gen(function*() {
    const { url } = yield* freshDatabase
    const proxy = yield* Effect.promise(() => makeProxy(Number(new URL(adminUrl).port || 5432)))
    yield* Effect.addFinalizer(() => Effect.promise(() => proxy.cut()))
    const proxied = new URL(url)
    proxied.port = String(proxy.port)
    const context = yield* Layer.build(appLayer({ DATABASE_URL: proxied.toString(), DATABASE_CONNECT_TIMEOUT: "2 seconds" }))
    return yield* body(url, proxy).pipe(Effect.provide(context))
  }).pipe(Effect.scoped)

describe("The incident, replayed", () => {
  it.live("tables dropped under a running server: 503 TablesMissing naming them; migrate refuses; repair --recreate-empty recovers", () =>
    withService((url) =>
      Effect.gen(function*() {
        expect((yield* call("GET", "/api/social/profiles")).status).toBe(200)
        yield* Effect.promise(() => query(url, "DROP TABLE social_messages, social_drafts, social_profiles, social_discovery_jobs"))

        const all = ["social_discovery_jobs", "social_drafts", "social_messages", "social_profiles"]
        const replies = [
          yield* call("GET", "/api/social/profiles"),
          yield* call("POST", "/api/social/discover", { body: { platform: "bluesky", filters: { query: "effect" } } }),
          yield* call("GET", "/health/ready")
        ]
        for (const reply of replies) {
          expect(reply.status).toBe(503)
          expect(reply.headers["retry-after"]).toBe("5")
          expect(reply.body._tag).toBe("TablesMissing")
          expect(reply.body.tables).toEqual(all)
          // Never migrated, or migrated and lost since: the message gives the remedy for each.
          expect(reply.body.message).toContain("run: npm run migrate (or ./prestart.sh)")
          expect(reply.body.message).toContain("npm run migrate -- repair --recreate-empty")
          expect(JSON.stringify(reply.body)).not.toMatch(/SELECT|INSERT|at .*\.ts/)
        }

        const status = yield* Effect.promise(() => migrate(["status"], { DATABASE_URL: url }))
        expect(status.code).toBe(3)
        expect(status.stdout).toContain(`Missing tables (4): ${all.join(", ")}`)
        expect(status.stderr).toContain("restore the database from a backup, or run npm run migrate -- repair --recreate-empty")

        // Migrating again does not bring them back behind the operator's back: their rows are gone.
        const migrated = yield* Effect.promise(() => migrate([], { DATABASE_URL: url }))
        expect(migrated.code).toBe(1)
        expect(migrated.stderr).toContain("table social_profiles: missing")

        // The remedy the message names works, and the running server recovers without a restart.
        const repaired = yield* Effect.promise(() => migrate(["repair", "--recreate-empty"], { DATABASE_URL: url }))
        expect(repaired.code, repaired.stdout + repaired.stderr).toBe(0)
        expect(repaired.stdout).toContain("recreated table social_profiles, empty")
        for (const path of ["/api/social/profiles", "/health/ready"]) {
          yield* eventually(Effect.flatMap(call("GET", path), (reply) => ensure(reply.status === 200, `${path}: ${reply.status}`)), {
            within: "5 seconds",
            what: `${path} to recover`
          })
        }
      })
    ), 120_000)

  it.live("the database going away is a 503 DatabaseUnavailable, and the service recovers when it returns", () =>
    withService((_, proxy) =>
      Effect.gen(function*() {
        expect((yield* call("GET", "/api/social/profiles")).status).toBe(200)
        yield* Effect.promise(() => proxy.cut())
        for (const [method, path] of [["GET", "/api/social/profiles"], ["GET", "/health/ready"], ["GET", "/api/social/discover/1"]] as const) {
          const reply = yield* call(method, path)
          expect(reply.status).toBe(503)
          expect(reply.headers["retry-after"]).toBe("5")
          expect(reply.body).toEqual({ _tag: "DatabaseUnavailable", message: expect.any(String) })
        }
        yield* Effect.promise(() => proxy.restore())
        // A failure is remembered for a second at most, so a dead database is not asked again by every request.
        for (const path of ["/api/social/profiles", "/health/ready"]) {
          yield* eventually(Effect.flatMap(call("GET", path), (reply) => ensure(reply.status === 200, `${path}: ${reply.status}`)), {
            within: "5 seconds",
            what: `${path} to recover`
          })
        }
      })
    ))
})
