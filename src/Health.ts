import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { DatabaseUnavailable, TablesMissing } from "./Domain/Database.js"
import { mapSqlError, missingTables } from "./Sql.js"

/** Readiness: the database answers now and every table the service needs exists now. */
export class Health extends Effect.Service<Health>()("Health", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const ready = Effect.fn("Health.ready")(function*() {
      const missing = yield* missingTables.pipe(
        Effect.provideService(SqlClient.SqlClient, sql),
        Effect.catchTag("SqlError", mapSqlError),
        // Render counts a check that takes over 5 s as failed; answer before that. Disconnected, so the answer
        // does not wait for the interrupted query's cleanup (a cancel that a frozen server never answers).
        Effect.disconnect,
        Effect.timeoutFail({
          duration: "3 seconds",
          onTimeout: () => new DatabaseUnavailable({ message: "The database did not answer within 3 seconds" })
        })
      )
      if (missing.length > 0) return yield* TablesMissing.of(missing)
    })
    return { ready } as const
  })
}) {}
