import { SqlClient } from "@effect/sql"
import { Effect, Exit } from "effect"
import { type DatabaseUnavailable, TablesMissing } from "../Domain/Database.js"
import { mapSqlError, missingTables } from "../Sql.js"

/** How long an answer about the schema is trusted: tables that vanish or return are noticed within this. */
const Freshness = 1000

/**
 * Whether the tables the service needs exist right now, as every API request and readiness ask it. One
 * catalog query answers all requests of the next second (a database without its tables is not hammered
 * with a query per request), and the answer is shared by the requests that wait for it, failures included.
 */
export class SchemaState extends Effect.Service<SchemaState>()("Sql/SchemaState", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const lock = yield* Effect.makeSemaphore(1)
    let known: { readonly at: number; readonly exit: Exit.Exit<ReadonlyArray<string>, TablesMissing | DatabaseUnavailable> } | undefined

    const fresh = () => (known !== undefined && Date.now() - known.at < Freshness ? known.exit : undefined)

    const check = missingTables.pipe(
      Effect.catchTag("SqlError", mapSqlError),
      Effect.provideService(SqlClient.SqlClient, sql),
      Effect.exit,
      Effect.tap((exit) => Effect.sync(() => (known = { at: Date.now(), exit }))),
      Effect.flatten
    )

    /** The tables missing now (an empty list when the schema is complete). */
    const missing = Effect.suspend(() => {
      const cached = fresh()
      return cached !== undefined ? cached : lock.withPermits(1)(Effect.suspend(() => fresh() ?? check))
    })

    const requireFrom = (tables: Effect.Effect<ReadonlyArray<string>, TablesMissing | DatabaseUnavailable>) =>
      Effect.flatMap(tables, (names) => (names.length > 0 ? Effect.fail(TablesMissing.of(names)) : Effect.void))

    return {
      missing,
      /** Fails with `TablesMissing` unless every table exists (as known within the last second). */
      require: requireFrom(missing),
      /** The same, asking the database now (readiness: what it says must be true at this moment). */
      requireNow: requireFrom(lock.withPermits(1)(check))
    } as const
  })
}) {}
