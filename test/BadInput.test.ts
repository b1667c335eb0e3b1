import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { call, pgAppLayer } from "./support/App.js"

const jobs = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ n: number }>`SELECT count(*)::int AS n FROM social_discovery_jobs`.pipe(Effect.map((rows) => rows[0]!.n), Effect.orDie))

const platform = fc.oneof(fc.constantFrom("bluesky", "mastodon", "github", "linkedin"), fc.string())
const filters = fc.oneof(
  fc.dictionary(fc.constantFrom("query", "limit", "instance", "mode", "location", "minFollowers", "createdAfter", "x"), fc.jsonValue()),
  fc.jsonValue()
)

layer(pgAppLayer(), { timeout: "60 seconds", excludeTestServices: true })("Arbitrary request bodies", (it) => {
  it.effect.prop(
    "never produce a 5xx, and write a job only when accepted",
    [fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ platform, filters }).map((body) => JSON.stringify(body)),
      fc.record({ platform, filters, extra: fc.jsonValue() }).map((body) => JSON.stringify(body))
    )],
    ([raw]) =>
      Effect.gen(function*() {
        const before = yield* jobs
        const reply = yield* call("POST", "/api/social/discover", { raw })
        expect([202, 400, 422]).toContain(reply.status)
        expect(reply.body._tag ?? "accepted").not.toBe("InternalServerError")
        expect(yield* jobs).toBe(reply.status === 202 ? before + 1 : before)
      }),
    { fastCheck: { numRuns: 300 } }
  )
})
