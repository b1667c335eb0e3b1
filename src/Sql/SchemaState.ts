import { SqlClient } from "@effect/sql"
import { Effect, Exit } from "effect"
import { type DatabaseUnavailable, TablesMissing } from "../Domain/Database.js"
import { mapSqlError, missingTables } from "../Sql.js"

/** How long an answer about the schema is trusted: tables that vanish or return are noticed within this. */
const Freshness = 1000

interface Answer {
  readonly at: number
  readonly missing: Exit.Exit<ReadonlyArray<string>, TablesMissing | DatabaseUnavailable>
  readonly required: Exit.Exit<void, TablesMissing | DatabaseUnavailable>
}

/**
 * Whether the tables the service needs exist right now, as every API request and readiness ask it. One
 * catalog query answers all requests of the next second (a database without its tables is not hammered
 * with a query per request), and the answer is shared by the requests that wait for it, failures included.
 */
export class SchemaState extends Effect.Service<SchemaState>()("Sql/SchemaState", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const lock = yield* Effect.makeSemaphore(1)
    let known: Answer | undefined

    const fresh = () => (known !== undefined && Date.now() - known.at < Freshness ? known : undefined)

    // One `TablesMissing` per answer, shared by every request it fails: an error captures a stack when made.
    const requiredOf = (missing: Answer["missing"]): Answer["required"] =>
      Exit.flatMap(missing, (names) => (names.length > 0 ? Exit.fail(TablesMissing.of(names)) : Exit.void))

    const check = missingTables.pipe(
      Effect.catchTag("SqlError", mapSqlError),
      Effect.provideService(SqlClient.SqlClient, sql),
      Effect.exit,
      Effect.map((missing): Answer => (known = { at: Date.now(), missing, required: requiredOf(missing) }))
    )

    const current = Effect.suspend(() => {
      const cached = fresh()
      return cached !== undefined ? Effect.succeed(cached) : lock.withPermits(1)(Effect.suspend(() => {
        const again = fresh()
        return again !== undefined ? Effect.succeed(again) : check
      }))
    })

    /** The tables missing now (an empty list when the schema is complete). */
    const missing = Effect.flatMap(current, (answer) => answer.missing)

    return {
      missing,
      /** Fails with `TablesMissing` unless every table exists (as known within the last second). */
      require: Effect.flatMap(current, (answer) => answer.required),
      /** The same, asking the database now (readiness: what it says must be true at this moment). */
      requireNow: Effect.flatMap(lock.withPermits(1)(check), (answer) => answer.required)
    } as const
  })
}) {}
