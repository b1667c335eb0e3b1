import { Console, Effect, Layer } from "effect"
import { AppConfig } from "../Config.js"
import { LoggingLive } from "../Logging.js"
import { label, Migrations } from "../Sql/Migrator.js"
import { runMain } from "../Runtime.js"
import { SqlUnboundedLive } from "../Sql.js"

/** Exit codes: 0 done / up to date, 1 failed, 2 bad usage, 3 `status` found pending migrations or missing tables. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, notReady: 3 } as const

const usage = "Usage: migrate [status]\n  migrate         apply pending migrations\n  migrate status  list applied and pending migrations and missing tables"

const apply = Effect.gen(function*() {
  const migrations = yield* Migrations
  const applied = yield* migrations.migrate
  const verified = yield* migrations.verify
  yield* Console.log(
    applied.length > 0
      ? `Applied ${applied.length} migration(s):\n${applied.map((m) => `  ${m}`).join("\n")}`
      : "Nothing to apply: the database is up to date."
  )
  yield* Console.log(`${verified.applied.length} migration(s) applied in all; every table is present.`)
})

const status = Effect.gen(function*() {
  const current = yield* (yield* Migrations).status
  const lines = [
    `Applied (${current.applied.length}):`,
    ...current.applied.map((m) => `  ${label(m.id, m.name)}  ${m.appliedAt}`),
    `Pending (${current.pending.length}):`,
    ...current.pending.map((m) => `  ${m}`),
    ...(current.skipped.length > 0 ? [`Out of order, never applied: ${current.skipped.join(", ")}`] : []),
    ...(current.conflicts.length > 0 ? [`Renamed after being applied: ${current.conflicts.join(", ")}`] : []),
    `Missing tables (${current.missingTables.length})${current.missingTables.length > 0 ? ": " + current.missingTables.join(", ") : ""}`
  ]
  yield* Console.log(lines.join("\n"))
  const ready = current.pending.length === 0 && current.missingTables.length === 0 && current.conflicts.length === 0
  if (!ready) {
    yield* Console.error("Not ready: run `npm run migrate` (or ./prestart.sh).")
    process.exitCode = ExitCode.notReady
  }
})

const command = process.argv[2]
if (command !== undefined && command !== "status") {
  console.error(usage)
  process.exit(ExitCode.usage)
}

;(command === "status" ? status : apply).pipe(
  Effect.provide(Migrations.Default.pipe(Layer.provideMerge(SqlUnboundedLive), Layer.provide(LoggingLive), Layer.provideMerge(AppConfig.Default))),
  runMain
)
