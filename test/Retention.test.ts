import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Retention } from "../src/Retention.js"
import { pgAppLayer } from "./support/App.js"
import { ensure, eventually } from "./support/Eventually.js"

// More old payloads than one batch prunes, so the loop must go round until none is left.
const Old = 1_200
const Recent = 30

const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`INSERT INTO social_profiles (platform, external_id, handle, bio, raw, last_seen_at)
    SELECT 'github', 'old-' || n, 'old' || n, 'kept bio', jsonb_build_object('login', 'old' || n), now() - interval '2 hours'
    FROM generate_series(1, ${Old}) AS n`
  yield* sql`INSERT INTO social_profiles (platform, external_id, handle, raw)
    SELECT 'github', 'new-' || n, 'new' || n, jsonb_build_object('login', 'new' || n) FROM generate_series(1, ${Recent}) AS n`
})

// The service with its retention loop, started once the old payloads are there.
const App = Retention.Default.pipe(
  Layer.provideMerge(pgAppLayer({ RAW_RETENTION: "1 hour", DISCOVERY_WORKERS: "1" }).pipe(Layer.tap((context) => Effect.orDie(Effect.provide(seed, context)))))
)

const counts = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ prefix: string; withRaw: number; withBio: number }>`SELECT split_part(external_id, '-', 1) AS prefix,
      count(*) FILTER (WHERE raw <> '{}'::jsonb)::int AS with_raw, count(*) FILTER (WHERE bio IS NOT NULL)::int AS with_bio
    FROM social_profiles GROUP BY 1 ORDER BY 1`.pipe(Effect.orDie))

layer(App, { timeout: "60 seconds", excludeTestServices: true })("Raw payload retention", (it) => {
  it.effect("raw payloads of profiles not seen for RAW_RETENTION are pruned, in batches; newer ones and the profiles stay", () =>
    Effect.gen(function*() {
      const after = yield* eventually(Effect.flatMap(counts, (rows) => Effect.as(ensure(rows[1]?.withRaw === 0, JSON.stringify(rows)), rows)))
      expect(after).toEqual([
        { prefix: "new", withRaw: Recent, withBio: 0 },
        { prefix: "old", withRaw: 0, withBio: Old }
      ])
    }))
})
