import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { call, pgAppLayer } from "./support/App.js"
import { ensure, eventually } from "./support/Eventually.js"
import { fakeBluesky } from "./support/FakePlatforms.js"

class Bluesky extends Context.Tag("test/Bluesky")<Bluesky, Awaited<ReturnType<typeof fakeBluesky>>>() {}

const BlueskyLive = Layer.scoped(Bluesky, Effect.acquireRelease(Effect.promise(() => fakeBluesky(10)), (fake) => Effect.promise(fake.close)))

const App = Layer.unwrapEffect(
  Effect.map(Bluesky, (fake) =>
    pgAppLayer({
      BLUESKY_APPVIEW_URL: fake.url,
      DISCOVERY_WORKERS: "1",
      DISCOVERY_POLL_INTERVAL: "50 millis"
    }, { workers: true }))
).pipe(Layer.provideMerge(BlueskyLive))

const discoveryPool = Effect.map(call("GET", "/health/ready"), (reply) => ({
  status: reply.status,
  pool: (reply.body.workers as Array<{ pool: string; restarts: number; lastError: string | null }> | undefined)
    ?.find((w) => w.pool === "discovery")
}))

layer(App, { timeout: "60 seconds", excludeTestServices: true })("Supervised workers", (it) => {
  it.effect("a worker loop that dies with a defect is logged, counted in readiness, and restarted", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      // Every claim now breaks a constraint PostgreSQL reports with a code the service does not expect: a defect.
      yield* sql`ALTER TABLE social_discovery_jobs ADD CONSTRAINT test_no_claims CHECK (attempts = 0) NOT VALID`
      const job = yield* call("POST", "/api/social/discover", { body: { platform: "bluesky", filters: { query: "supervised", limit: 5 } } })
      expect(job.status).toBe(202)

      const crashed = yield* eventually(
        Effect.flatMap(discoveryPool, ({ pool, status }) =>
          Effect.as(ensure(status === 200 && (pool?.restarts ?? 0) >= 1, `readiness ${status}, ${JSON.stringify(pool)}`), pool!)),
        { within: "20 seconds", what: "the crash to be counted" }
      )
      // Readiness is public: it names the kind of failure, not its details (they are logged).
      expect(crashed.lastError).toBe("UnexpectedDatabaseError")

      // The loop is alive: once the cause is gone, it takes the job.
      yield* sql`ALTER TABLE social_discovery_jobs DROP CONSTRAINT test_no_claims`
      yield* eventually(
        Effect.flatMap(call("GET", `/api/social/discover/${job.body.id}`), (reply) =>
          ensure(reply.body.status === "succeeded", `job is ${reply.body.status}`)),
        { within: "30 seconds", what: "the restarted worker to finish the job" }
      )
    }).pipe(Effect.orDie))
})
