import { SqlClient, type SqlError } from "@effect/sql"
import { Effect } from "effect"
import pg from "pg"
import { RecreateEmptyCommand } from "../../Domain/Database.js"
import { RepairRefused } from "../../Domain/Migration.js"
import { type Constraint, describeCurrentSchema, type SchemaDescription, sqlIdent as q } from "../Schema.js"
import { columnDefinition, compare, describeDifference, drift, isEmptyPlan, onDeleteRule, planRepair } from "./Policy.js"

export interface RepairReport {
  /** What was done, one line each: schema restored, rows removed or nulled (per table, with counts), ids restarted. */
  readonly actions: ReadonlyArray<string>
}

const column = (table: string, name: string) => `${q(table)}.${q(name)}`

/** Rows of `fk.table` whose key points at no row of the referenced table (MATCH SIMPLE: a NULL part checks nothing). */
const dangling = (fk: Constraint) =>
  [
    ...fk.columns.map((c) => `${column(fk.table, c)} IS NOT NULL`),
    `NOT EXISTS (SELECT 1 FROM ${q(fk.references!)} AS referenced WHERE ${
      fk.columns.map((c, i) => `referenced.${q(fk.referencedColumns[i]!)} = ${column(fk.table, c)}`).join(" AND ")
    })`
  ].join(" AND ")

const listed = (keys: ReadonlyArray<string>) => {
  const shown = keys.filter((key) => key !== "").slice(0, 20)
  if (shown.length === 0) return ""
  return ` (id ${shown.join(", ")}${keys.length > shown.length ? `, and ${keys.length - shown.length} more` : ""})`
}

const constraintViolation = (error: SqlError.SqlError) =>
  error.cause instanceof pg.DatabaseError && error.cause.code?.startsWith("23") === true ? error.cause.message : undefined

/**
 * Makes the live schema have everything `expected` has, in the caller's transaction, or refuses and changes
 * nothing. With `recreateEmpty`, missing tables and columns come back empty; rows that pointed at rows of a
 * lost table are dealt with as their foreign key's ON DELETE rule says (CASCADE and RESTRICT remove them,
 * SET NULL nulls the key), since the ids they hold would otherwise be given to new, different rows; and a
 * recreated table's ids restart above the highest id still referenced anywhere.
 */
export const repairSchema = (expected: SchemaDescription, options: { readonly recreateEmpty: boolean }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const live = yield* describeCurrentSchema
    const plan = planRepair(expected, live, options)
    const actions: Array<string> = []
    const liveTables = new Set(live.tables)
    const foreignKeys = new Map(
      [...live.constraints, ...expected.constraints].filter((c) => c.type === "f").map((c) => [`${c.table}.${c.name}`, c])
    )
    const keyOf = (table: string) =>
      expected.constraints.find((c) => c.table === table && c.type === "p")?.columns ??
        live.constraints.find((c) => c.table === table && c.type === "p")?.columns ?? []
    const returningKey = (table: string) => {
      const key = keyOf(table)
      return key.length === 1 ? `${q(key[0]!)}::text AS key` : "'' AS key"
    }

    const violations: Array<string> = []
    const restoredKeys = plan.addConstraints.filter((c) => c.type === "f")
    if (!options.recreateEmpty) {
      for (const fk of restoredKeys.filter((c) => liveTables.has(c.table) && liveTables.has(c.references!))) {
        const [row] = yield* sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${q(fk.table)} WHERE ${dangling(fk)}`)
        if (row!.n > 0) {
          violations.push(
            `${row!.n} row(s) of ${fk.table} have ${fk.columns.join(", ")} pointing at ${fk.references} rows that do not ` +
              `exist, so ${fk.name} cannot be restored`
          )
        }
      }
    }
    const refusals = [...plan.lost, ...violations, ...plan.manual]
    if (refusals.length > 0) {
      const remedies = [
        ...(plan.lost.length + violations.length > 0
          ? [
            "Restore the database from a backup, or, accepting the loss, run " +
            `${RecreateEmptyCommand}: it recreates missing tables and columns empty, removes or nulls the rows that point ` +
            "at rows that do not exist (each foreign key's ON DELETE rule decides), and lists them."
          ]
          : []),
        ...(plan.manual.length > 0 ? ["Change the column back by hand (ALTER TABLE), or restore from a backup."] : [])
      ]
      return yield* RepairRefused.of(refusals, remedies.join(" "))
    }
    if (isEmptyPlan(plan)) return { actions } satisfies RepairReport

    // Recorded before any row is touched: the ids rows still point at, which a new row must never be given.
    const restarts: Array<{ table: string; column: string; at: number }> = []
    for (const table of plan.createTables) {
      for (const identity of expected.columns.filter((c) => c.table === table && c.identity !== "")) {
        const referencing = [...foreignKeys.values()].filter((fk) =>
          fk.references === table && liveTables.has(fk.table) && fk.referencedColumns.includes(identity.name)
        )
        if (referencing.length === 0) continue
        const maxima = referencing.map((fk) =>
          `(SELECT max(${q(fk.columns[fk.referencedColumns.indexOf(identity.name)]!)}) FROM ${q(fk.table)})`
        )
        const [row] = yield* sql.unsafe<{ highest: number | null }>(`SELECT greatest(${maxima.join(", ")}) AS highest`)
        if (row!.highest !== null) restarts.push({ table, column: identity.name, at: Number(row!.highest) + 1 })
      }
    }

    const run = (statement: string, what: string) =>
      sql.unsafe(statement).pipe(
        Effect.catchTag("SqlError", (error): Effect.Effect<never, SqlError.SqlError | RepairRefused> => {
          const violation = constraintViolation(error)
          return violation === undefined ? Effect.fail(error) : Effect.fail(RepairRefused.of(
            [`${what}: ${violation}`],
            "Correct those rows by hand, or restore the database from a backup."
          ))
        })
      )

    for (const table of plan.createTables) {
      const columns = expected.columns.filter((c) => c.table === table).map((c) => `${q(c.name)} ${columnDefinition(c)}`)
      yield* run(`CREATE TABLE ${q(table)} (${columns.join(", ")})`, `recreating table ${table}`)
      actions.push(`recreated table ${table}, empty`)
    }
    for (const c of plan.addColumns) {
      yield* run(`ALTER TABLE ${q(c.table)} ADD COLUMN ${q(c.name)} ${columnDefinition(c)}`, `restoring column ${c.table}.${c.name}`)
      actions.push(`recreated column ${c.table}.${c.name} (${columnDefinition(c)}): its old values are lost`)
    }
    for (const { expected: c, found } of plan.alterColumns) {
      if (c.default !== found.default) {
        const change = c.default === null ? "DROP DEFAULT" : `SET DEFAULT ${c.default}`
        yield* run(`ALTER TABLE ${q(c.table)} ALTER COLUMN ${q(c.name)} ${change}`, `restoring ${c.table}.${c.name}`)
      }
      if (c.notNull !== found.notNull) {
        const change = c.notNull ? "SET NOT NULL" : "DROP NOT NULL"
        yield* run(`ALTER TABLE ${q(c.table)} ALTER COLUMN ${q(c.name)} ${change}`, `restoring ${c.table}.${c.name} NOT NULL`)
      }
      actions.push(`restored column ${c.table}.${c.name} to ${columnDefinition(c)}`)
    }

    if (options.recreateEmpty) {
      const removeRows = (
        table: string,
        where: string,
        because: string,
        path: ReadonlyArray<string>
      ): Effect.Effect<void, SqlError.SqlError> =>
        Effect.gen(function*() {
          // Rows pointing at the rows about to go are dealt with first, by their own key's rule.
          for (const fk of foreignKeys.values()) {
            if (fk.references !== table || path.includes(fk.table) || fk.table === table) continue
            const pointing = `(${fk.columns.map((c) => column(fk.table, c)).join(", ")}) IN (SELECT ${
              fk.referencedColumns.map((c) => column(table, c)).join(", ")
            } FROM ${q(table)} WHERE ${where})`
            const reason = `pointed at removed ${table} rows (${fk.name}, ON DELETE ${onDeleteRule(fk.onDelete)})`
            if (fk.onDelete === "n" || fk.onDelete === "d") yield* clearKeys(fk, pointing, `whose ${fk.columns.join(", ")} ${reason}`)
            else yield* removeRows(fk.table, pointing, `that ${reason}`, [...path, table])
          }
          const removed = yield* sql.unsafe<{ key: string }>(`DELETE FROM ${q(table)} WHERE ${where} RETURNING ${returningKey(table)}`)
          if (removed.length > 0) {
            actions.push(`${table}: removed ${removed.length} row(s)${listed(removed.map((r) => r.key))} ${because}`)
          }
        })
      const clearKeys = (fk: Constraint, where: string, phrase: string) =>
        Effect.gen(function*() {
          const value = fk.onDelete === "d" ? "DEFAULT" : "NULL"
          const cleared = yield* sql.unsafe<{ key: string }>(
            `UPDATE ${q(fk.table)} SET ${fk.columns.map((c) => `${q(c)} = ${value}`).join(", ")} WHERE ${where} ` +
              `RETURNING ${returningKey(fk.table)}`
          )
          if (cleared.length > 0) {
            actions.push(
              `${fk.table}: set ${fk.columns.join(", ")} to ${value} in ${cleared.length} row(s)${
                listed(cleared.map((r) => r.key))
              } ${phrase}`
            )
          }
        })
      for (const fk of restoredKeys) {
        const reason = `${fk.columns.join(", ")} pointed at ${fk.references} rows that are gone (${fk.name}, ON DELETE ${
          onDeleteRule(fk.onDelete)
        })`
        if (fk.onDelete === "n" || fk.onDelete === "d") yield* clearKeys(fk, dangling(fk), `whose ${reason}`)
        else yield* removeRows(fk.table, dangling(fk), `whose ${reason}`, [])
      }
    }

    for (const c of plan.dropConstraints) {
      yield* run(`ALTER TABLE ${q(c.table)} DROP CONSTRAINT ${q(c.name)}`, `dropping changed constraint ${c.table}.${c.name}`)
    }
    for (const c of plan.addConstraints) {
      yield* run(`ALTER TABLE ${q(c.table)} ADD CONSTRAINT ${q(c.name)} ${c.definition}`, `restoring constraint ${c.table}.${c.name}`)
      actions.push(`restored constraint ${c.table}.${c.name}: ${c.definition}`)
    }
    for (const index of plan.dropIndexes) yield* run(`DROP INDEX ${q(index.name)}`, `dropping changed index ${index.name}`)
    for (const index of plan.createIndexes) {
      yield* run(index.definition, `restoring index ${index.table}.${index.name}`)
      actions.push(`restored index ${index.table}.${index.name}`)
    }
    for (const { at, column: name, table } of restarts) {
      yield* sql.unsafe(`ALTER TABLE ${q(table)} ALTER COLUMN ${q(name)} RESTART WITH ${at}`)
      actions.push(`${table}: new ${name}s start at ${at}, above every ${name} still referenced, so no new row takes an old row's ${name}`)
    }

    const left = drift(compare(expected, yield* describeCurrentSchema), false)
    if (left.length > 0) {
      return yield* Effect.dieMessage(`Repair left differences: ${left.map(describeDifference).join("; ")}`)
    }
    return { actions } satisfies RepairReport
  })
