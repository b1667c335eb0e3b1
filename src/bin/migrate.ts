import { Console, Effect, Layer } from "effect"
import { AppConfig } from "../Config.js"
import { MigrateCommand } from "../Domain/Database.js"
import { type RepairRefused, SchemaDrift } from "../Domain/Migration.js"
import { LoggingLive } from "../Logging.js"
import { label, Migrations } from "../Sql/Migrator.js"
import { describeDifference, rowsLost } from "../Sql/Schema/Policy.js"
import { runMain } from "../Runtime.js"
import { SqlUnboundedLive } from "../Sql.js"

/**
 * Exit codes: 0 done / up to date, 1 failed (or refused: drift found by `migrate`, a repair that would lose
 * data), 2 bad usage, 3 `status` found pending migrations, renamed ones, or drift.
 */
export const ExitCode = { ok: 0, failed: 1, usage: 2, notReady: 3 } as const

const usage = `Usage: migrate [status | repair [--recreate-empty]]
  migrate                          apply pending migrations; refuses (exit 1) when the schema has drifted
  migrate status                   applied and pending migrations, and every difference between the live
                                   schema and the one the migrations produce (exit 3 if any)
  migrate repair                   restore missing indexes and constraints; refuses if tables or columns
                                   are gone or rows violate a restored foreign key
  migrate repair --recreate-empty  also recreate lost tables and columns empty, removing or nulling the rows
                                   that pointed at their lost rows (listed), in one transaction`

/** A refusal said in full, one difference or reason a line, then its remedy; the process exits 1. */
const refused = (error: SchemaDrift | RepairRefused) =>
  Effect.gen(function*() {
    const [headline, items] = error._tag === "SchemaDrift"
      ? [`The database schema differs from what the migrations produce (${error.differences.length})`, error.differences]
      : ["Repair refused, nothing was changed", error.reasons]
    yield* Console.error(`${error._tag}: ${headline}:\n${items.map((item) => `  ${item}`).join("\n")}\n${error.remedy}`)
    process.exitCode = ExitCode.failed
  })

const apply = Effect.gen(function*() {
  const migrations = yield* Migrations
  const applied = yield* migrations.migrate
  const verified = yield* migrations.verify
  yield* Console.log(
    applied.length > 0
      ? `Applied ${applied.length} migration(s):\n${applied.map((m) => `  ${m}`).join("\n")}`
      : "Nothing to apply: the database is up to date."
  )
  yield* Console.log(`${verified.applied.length} migration(s) applied in all; the schema has everything they produce.`)
}).pipe(Effect.catchTag("SchemaDrift", refused))

const status = Effect.gen(function*() {
  const current = yield* (yield* Migrations).status
  const lines = [
    `Applied (${current.applied.length}):`,
    ...current.applied.map((m) => `  ${label(m.id, m.name)}  ${m.appliedAt}`),
    `Pending (${current.pending.length}):`,
    ...current.pending.map((m) => `  ${m}`),
    ...(current.skipped.length > 0 ? [`Out of order, never applied: ${current.skipped.join(", ")}`] : []),
    ...(current.conflicts.length > 0 ? [`Renamed after being applied: ${current.conflicts.join(", ")}`] : []),
    `Missing tables (${current.missingTables.length})${current.missingTables.length > 0 ? ": " + current.missingTables.join(", ") : ""}`,
    `Drift (${current.drift.length}): what the applied migrations produce that the schema lacks or has changed`,
    ...current.drift.map((d) => `  ${describeDifference(d)}`),
    `Not made by these migrations (${current.extra.length}): left alone, not drift`,
    ...current.extra.map((d) => `  ${describeDifference(d)}`)
  ]
  yield* Console.log(lines.join("\n"))
  if (current.drift.length > 0) {
    yield* Console.error(`Drift: ${SchemaDrift.of(current.drift.map(describeDifference), { rowsLost: rowsLost(current.drift) }).remedy}`)
  }
  if (current.pending.length > 0) yield* Console.error(`Pending: run ${MigrateCommand}.`)
  if (current.conflicts.length > 0) yield* Console.error("Renamed: never rename or renumber an applied migration; add a new one.")
  if (current.pending.length > 0 || current.conflicts.length > 0 || current.drift.length > 0) {
    process.exitCode = ExitCode.notReady
  }
})

const repair = (recreateEmpty: boolean) =>
  Effect.gen(function*() {
    const { actions, pending } = yield* (yield* Migrations).repair({ recreateEmpty })
    yield* Console.log(
      actions.length > 0
        ? `Repaired, in one transaction:\n${actions.map((a) => `  ${a}`).join("\n")}`
        : "Nothing to repair: the schema has everything the applied migrations produce."
    )
    if (pending.length > 0) yield* Console.log(`${pending.length} migration(s) pending: run ${MigrateCommand} next.`)
  }).pipe(Effect.catchTag("RepairRefused", refused))

const [command, ...options] = process.argv.slice(2)
const program = command === undefined && options.length === 0
  ? apply
  : command === "status" && options.length === 0
  ? status
  : command === "repair" && options.length === 0
  ? repair(false)
  : command === "repair" && options.length === 1 && options[0] === "--recreate-empty"
  ? repair(true)
  : undefined
if (program === undefined) {
  console.error(usage)
  process.exit(ExitCode.usage)
}

program.pipe(
  Effect.provide(Migrations.Default.pipe(Layer.provideMerge(SqlUnboundedLive), Layer.provide(LoggingLive), Layer.provideMerge(AppConfig.Default))),
  runMain
)
