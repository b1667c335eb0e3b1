import { SqlClient, type SqlError } from "@effect/sql"
import { Effect } from "effect"
import { type AuditQuery, AuditRepo } from "./Audit/Repo.js"
import type { AuditEntry } from "./Domain/Audit.js"
import { type DatabaseUnavailable, TablesMissing } from "./Domain/Database.js"
import { toPage } from "./Domain/Page.js"
import { mapSqlError, missingTables } from "./Sql.js"

/** Who did what, when, to which record: written with every change, in the change's own transaction. */
export class Audit extends Effect.Service<Audit>()("Audit", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const repo = yield* AuditRepo

    /**
     * Runs `change` and writes the records `entriesOf` makes of its result in one transaction: a change that
     * fails writes no record, and a record that cannot be written undoes the change, so no change goes
     * unaudited.
     */
    const audited = <A, E, R>(
      change: Effect.Effect<A, E, R>,
      entriesOf: (result: A) => ReadonlyArray<AuditEntry>
    ): Effect.Effect<A, Exclude<E, SqlError.SqlError> | TablesMissing | DatabaseUnavailable, R> =>
      sql.withTransaction(Effect.tap(change, (result) => repo.insertMany(entriesOf(result)))).pipe(
        Effect.catchIf((error) => (error as { _tag?: unknown })._tag === "SqlError", (error) => mapSqlError(error as SqlError.SqlError)),
        // Inside the failed transaction no other table could be looked up: name every missing one now.
        Effect.catchIf((error) => (error as { _tag?: unknown })._tag === "TablesMissing", (error) =>
          missingTables.pipe(
            Effect.provideService(SqlClient.SqlClient, sql),
            Effect.map((tables) => (tables.length > 0 ? TablesMissing.of(tables) : error)),
            Effect.orElseSucceed(() => error),
            Effect.flatMap(Effect.fail)
          ))
      ) as never

    const list = Effect.fn("Audit.list")(function*(params: Omit<AuditQuery, "after" | "limit"> & {
      readonly cursor?: number | undefined
      readonly limit?: number | undefined
    }) {
      const limit = params.limit ?? 50
      const rows = yield* repo.list({ ...params, after: params.cursor, limit: limit + 1 })
      return toPage(rows, limit)
    })

    return { audited, list } as const
  }),
  dependencies: [AuditRepo.Default]
}) {}
