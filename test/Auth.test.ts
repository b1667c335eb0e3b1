import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { call, pgAppLayer } from "./support/App.js"

const token = "test-token-0123456789"

layer(pgAppLayer({ API_TOKEN: token, MAX_BODY_BYTES: "2048" }), { timeout: "60 seconds", excludeTestServices: true })("With API_TOKEN set", (it) => {
  it.effect("every /api route needs the bearer token", () =>
    Effect.gen(function*() {
      for (const [method, path] of [["GET", "/api/social/profiles"], ["GET", "/api/social/profiles/1"], ["POST", "/api/social/discover"], ["GET", "/api/social/discover/1"]] as const) {
        const missing = yield* call(method, path, method === "POST" ? { body: { platform: "bluesky", filters: { query: "x" } } } : {})
        expect(missing.status).toBe(401)
        expect(missing.body).toEqual({ _tag: "Unauthorized", message: expect.stringContaining("Missing bearer token") })
        const wrong = yield* call(method, path, { headers: { authorization: `Bearer ${token}x` } })
        expect(wrong.status).toBe(401)
        expect(wrong.body.message).toBe("Invalid bearer token")
      }
      const allowed = yield* call("GET", "/api/social/profiles", { headers: { authorization: `Bearer ${token}` } })
      expect(allowed.status).toBe(200)
      const created = yield* call("POST", "/api/social/discover", {
        headers: { authorization: `Bearer ${token}` },
        body: { platform: "github", filters: { location: "Lisbon" } }
      })
      expect(created.status).toBe(202)
    }))

  it.effect("a body sent without a valid token is not read: the answer is 401 whatever it holds", () =>
    Effect.gen(function*() {
      const deep = "[".repeat(40) + "]".repeat(40)
      const bodies = [["not json {", 400], [deep, 400], [JSON.stringify({ filters: { query: "x".repeat(4096) } }), 413]] as const
      for (const [raw, withToken] of bodies) {
        for (const headers of [{}, { authorization: `Bearer ${token}x` }]) {
          const refused = yield* call("POST", "/api/social/discover", { raw, headers })
          expect(refused.status).toBe(401)
          expect(refused.body._tag).toBe("Unauthorized")
        }
        // The same body from a known caller is screened as usual.
        expect((yield* call("POST", "/api/social/discover", { raw, headers: { authorization: `Bearer ${token}` } })).status).toBe(withToken)
      }
    }))

  it.effect("health and documentation stay open", () =>
    Effect.gen(function*() {
      for (const path of ["/health/live", "/health/ready", "/openapi.json", "/docs"]) {
        expect((yield* call("GET", path)).status).toBe(200)
      }
    }))
})
