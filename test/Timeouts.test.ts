import { type Migrator, SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { AppConfig } from "../src/Config.js"
import { DatabaseUnavailable } from "../src/Domain/Database.js"
import { MigrationLoader, Migrations } from "../src/Sql/Migrator.js"
import { mapSqlError, SqlLive } from "../src/Sql.js"
import { freshDatabase, query } from "./support/Database.js"
import { ensure, eventually } from "./support/Eventually.js"

/** The SQL client of the service (and its migrator) on a fresh database, with the given settings. */
const withDatabase = <A, E>(
  config: Record<string, string>,
  body: (url: string) => Effect.Effect<A, E, SqlClient.SqlClient | Migrations | AppConfig>,
  loader?: Migrator.Loader
) =>
  Effect.gen(function*() {
    const { url } = yield* freshDatabase
    const services = Migrations.Default.pipe(
      Layer.provide(loader ? Layer.succeed(MigrationLoader, loader) : Layer.empty),
      Layer.provideMerge(SqlLive),
      Layer.provideMerge(AppConfig.fromMap({ DATABASE_URL: url, LOG_LEVEL: "none", ...config }))
    )
    return yield* body(url).pipe(Effect.provide(services))
  }).pipe(Effect.scoped)

const backendPid = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`).pipe(
  Effect.map((rows) => rows[0]!.pid)
)

describe("Bounds on the request path's statements", () => {
  it.live("a statement past DATABASE_STATEMENT_TIMEOUT is a 503 naming the bound, and its connection is kept", () =>
    withDatabase({ DATABASE_STATEMENT_TIMEOUT: "300 millis", DATABASE_POOL_MAX: "1" }, () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const before = yield* backendPid
        const error = yield* sql`SELECT pg_sleep(5)`.pipe(Effect.catchTag("SqlError", mapSqlError), Effect.flip)
        expect(error).toEqual(new DatabaseUnavailable({ message: "The database did not answer within 300 ms. Retry shortly." }))
        // The server cancelled it (SQLSTATE 57014): the connection is still good and serves the next statement.
        expect(yield* backendPid).toBe(before)
      })))

  it.live("a migration outlives the bound: its transaction lifts it, and the bound is back for the next statement", () => {
    const slow: Migrator.Loader = Effect.succeed([[
      1,
      "slow",
      Effect.succeed(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT pg_sleep(1.6)`))
    ] as Migrator.ResolvedMigration])
    // 1.6 s is past both the server's bound (300 ms) and the client's (a second later).
    return withDatabase({ DATABASE_STATEMENT_TIMEOUT: "300 millis", DATABASE_POOL_MAX: "1" }, () =>
      Effect.gen(function*() {
        expect(yield* (yield* Migrations).migrate).toEqual(["0001_slow"])
        const sql = yield* SqlClient.SqlClient
        const error = yield* sql`SELECT pg_sleep(5)`.pipe(Effect.catchTag("SqlError", mapSqlError), Effect.flip)
        expect(error._tag).toBe("DatabaseUnavailable")
      }), slow)
  })

  it.live("a connection given back with a statement still running (an interrupted request) is closed, not reused", () =>
    withDatabase({ DATABASE_STATEMENT_TIMEOUT: "20 seconds", DATABASE_POOL_MAX: "1", DATABASE_CONNECT_TIMEOUT: "500 millis" }, (url) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const running = yield* Effect.fork(sql`SELECT pg_sleep(30)`)
        yield* eventually(
          Effect.promise(() => query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'"))
            .pipe(Effect.flatMap(([row]) => ensure(row!.n === 1, "the statement is running"))),
          { within: "10 seconds" }
        )
        // Its cancel cannot get a connection (the pool's one is busy), so the connection comes back still busy.
        yield* Fiber.interrupt(running)
        const answer = yield* sql<{ one: number }>`SELECT 1 AS one`.pipe(
          Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("SELECT 1 waited behind the interrupted statement") })
        )
        expect(answer).toEqual([{ one: 1 }])
      })))
})
