import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SocialTables } from "../src/Domain/Database.js"
import { call, pgAppLayer } from "./support/App.js"
import { ensure, eventually } from "./support/Eventually.js"

interface Operation {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE"
  readonly path: string
}

/** Every operation under /api in the service's own OpenAPI document, with its path parameters filled in. */
const operations = Effect.map(call("GET", "/openapi.json"), (reply) =>
  Object.entries(reply.body.paths as Record<string, Record<string, unknown>>)
    .filter(([path]) => path.startsWith("/api/"))
    .flatMap(([path, methods]) =>
      Object.keys(methods).map((method): Operation => ({
        method: method.toUpperCase() as Operation["method"],
        path: path.replace(/\{[^}]+\}/g, "1")
      }))
    ))

layer(pgAppLayer(), { timeout: "120 seconds", excludeTestServices: true })("A table that vanishes", (it) => {
  it.effect("makes every /api endpoint of the OpenAPI document answer 503 TablesMissing naming it, table by table", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const all = yield* operations
      expect(all.length).toBeGreaterThan(20)
      for (const table of SocialTables) {
        // Renamed away rather than dropped, so putting it back restores the schema exactly for the next table.
        yield* sql.unsafe(`ALTER TABLE ${table} RENAME TO ${table}_away`)
        yield* eventually(
          Effect.flatMap(call("GET", "/health/ready"), (reply) => ensure(reply.status === 503, `readiness is ${reply.status}`)),
          { within: "5 seconds", what: `readiness to notice ${table} is gone` }
        )
        for (const { method, path } of all) {
          const reply = yield* call(method, path, method === "POST" || method === "PATCH" ? { body: {} } : {})
          expect(reply.status, `${method} ${path} without ${table}: ${JSON.stringify(reply.body)}`).toBe(503)
          expect(reply.body).toMatchObject({ _tag: "TablesMissing", tables: [table] })
          expect(reply.headers["retry-after"]).toBeDefined()
        }
        yield* sql.unsafe(`ALTER TABLE ${table}_away RENAME TO ${table}`)
        yield* eventually(
          Effect.flatMap(call("GET", "/api/social/profiles"), (reply) => ensure(reply.status === 200, `profiles is ${reply.status}`)),
          { within: "5 seconds", what: `the API to notice ${table} is back` }
        )
      }
    }).pipe(Effect.orDie))
})
