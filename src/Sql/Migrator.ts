import { Migrator, SqlClient, type SqlError } from "@effect/sql"
import { Array, Context, Duration, Effect, Layer, Option } from "effect"
import { existsSync } from "node:fs"
import { readdir } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import pg from "pg"
import { AppConfig } from "../Config.js"
import {
  MigrationConflict,
  MigrationFailed,
  MigrationLockTimeout,
  MigrationSkipped,
  MigrationsPending,
  RepairRefused,
  SchemaDrift
} from "../Domain/Migration.js"
import { SqlLive } from "../Sql.js"
import { describeCurrentSchema, describeProducedBy, empty as emptySchema, MigrationsTable, type SchemaDescription } from "./Schema.js"
import { expectedSchema } from "./Schema/Expected.js"
import { compare as compareSchemas, type Difference, describeDifference, drift, rowsLost } from "./Schema/Policy.js"
import { repairSchema } from "./Schema/Repair.js"
// One key for "this database is being migrated", shared by every instance and by `npm run migrate`.
const AdvisoryLockKey = 7_263_310_411

// `src/migrations` beside `src/Sql` in the source tree; `dist/migrations` beside the bundle's modules when built.
const besideBundle = fileURLToPath(new URL("./migrations", import.meta.url))
export const migrationsDirectory = existsSync(besideBundle) ? besideBundle : fileURLToPath(new URL("../migrations", import.meta.url))

/** Where migrations come from: the files in `src/migrations` unless a test supplies its own. */
export class MigrationLoader extends Context.Reference<MigrationLoader>()("Migrations/Loader", {
  defaultValue: (): Migrator.Loader => fromDirectory(migrationsDirectory)
}) {}

/**
 * `Migrator.fromFileSystem`, with the `import()` made from this module rather than from inside
 * `@effect/sql`, so that whatever loads our TypeScript (tsx, vitest) also loads the migrations.
 */
export const fromDirectory = (directory: string): Migrator.Loader =>
  Effect.tryPromise({
    try: () => readdir(directory),
    catch: (cause) =>
      new Migrator.MigrationError({ reason: "import-error", message: `Cannot read migrations in ${directory}: ${cause}` })
  }).pipe(
    Effect.map((files) =>
      files
        .flatMap((file) => {
          const match = /^(\d+)_([^.]+)\.(js|ts)$/.exec(file)
          if (match === null || file.endsWith(".d.ts")) return []
          const load = Effect.promise(() => import(pathToFileURL(join(directory, file)).href))
          return [[Number(match[1]), match[2]!, load] as Migrator.ResolvedMigration]
        })
        .sort(([a], [b]) => a - b)
    )
  )

export const label = (id: number, name: string) => `${String(id).padStart(4, "0")}_${name}`

export interface AppliedMigration {
  readonly id: number
  readonly name: string
  readonly appliedAt: string
}

export interface MigrationStatus {
  readonly applied: ReadonlyArray<AppliedMigration>
  readonly pending: ReadonlyArray<string>
  readonly skipped: ReadonlyArray<string>
  readonly conflicts: ReadonlyArray<string>
  readonly missingTables: ReadonlyArray<string>
  /** What the applied migrations produce that the live schema lacks, or has changed. */
  readonly drift: ReadonlyArray<Difference>
  /** What only the live schema has (a newer version's migrations, or made by hand): reported, never drift. */
  readonly extra: ReadonlyArray<Difference>
}

export interface RepairResult {
  readonly actions: ReadonlyArray<string>
  readonly pending: ReadonlyArray<string>
}

const databaseMessage = (error: unknown): string => {
  const sqlCause = (error as SqlError.SqlError | undefined)?.cause
  if (sqlCause instanceof pg.DatabaseError) return `${sqlCause.message} (SQLSTATE ${sqlCause.code})`
  if (error instanceof Error) return error.message
  return String(error)
}

/**
 * The `@effect/sql` Migrator, made safe to run from many instances at once: the whole run is one
 * transaction holding an advisory lock, out-of-order and renamed migrations are refused by name instead
 * of skipped, a failing migration is a typed error naming it, and the result is compared with the schema
 * the migrations produce: drift is refused, never repaired behind the operator's back (`repair` does that).
 */
export class Migrations extends Effect.Service<Migrations>()("Migrations", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const loader = yield* MigrationLoader

    const appliedMigrations = sql<AppliedMigration>`
      SELECT migration_id AS id, name, created_at AS applied_at FROM ${sql(MigrationsTable)} ORDER BY migration_id`

    const loaded = loader.pipe(
      Effect.mapError((error) => new MigrationFailed({ migration: "(loader)", message: error.message }))
    )

    const compareApplied = (
      applied: ReadonlyArray<AppliedMigration>,
      available: ReadonlyArray<Migrator.ResolvedMigration>
    ) => {
      const byId = new Map(applied.map((m) => [m.id, m]))
      const highest = applied.reduce((max, m) => Math.max(max, m.id), 0)
      const notApplied = available.filter(([id]) => !byId.has(id))
      return {
        pending: notApplied.map(([id, name]) => label(id, name)),
        skipped: notApplied.filter(([id]) => id < highest).map(([id, name]) => label(id, name)),
        conflicts: available
          .filter(([id, name]) => byId.has(id) && byId.get(id)!.name !== name)
          .map(([id, name]) => `${label(id, name)} (applied as ${label(id, byId.get(id)!.name)})`)
      }
    }

    const migrationEffects = (available: ReadonlyArray<Migrator.ResolvedMigration>) =>
      Effect.forEach(available, ([id, name, load]) =>
        Effect.flatMap(load, (module) => {
          const migration = (module as { default?: unknown }).default ?? module
          return Effect.isEffect(migration)
            ? Effect.succeed(migration as Effect.Effect<unknown, unknown, SqlClient.SqlClient>)
            : Effect.dieMessage(`${label(id, name)} exports no Effect`)
        }))

    /** The schema these migrations produce, made in a rolled-back scratch copy. */
    const produce = (available: ReadonlyArray<Migrator.ResolvedMigration>) =>
      available.length === 0
        ? Effect.succeed<SchemaDescription>(emptySchema)
        : Effect.flatMap(migrationEffects(available), describeProducedBy).pipe(
          Effect.mapError((error) =>
            new MigrationFailed({
              migration: "(expected schema)",
              message: `Could not compute the schema the migrations produce: ${databaseMessage(error)}`
            })
          ),
          Effect.provideService(SqlClient.SqlClient, sql)
        )

    /**
     * The live schema against what the applied migrations produce. When all are applied, that is the snapshot
     * committed beside this file, and the check costs the one catalog query that described `live`. Should
     * the snapshot disagree (another PostgreSQL version's wording, or a test's own migrations), the migrations
     * themselves are asked before anything is called drift.
     */
    const checkSchema = (
      live: SchemaDescription,
      applied: ReadonlyArray<AppliedMigration>,
      available: ReadonlyArray<Migrator.ResolvedMigration>
    ) =>
      Effect.gen(function*() {
        const appliedIds = new Set(applied.map((m) => m.id))
        const availableIds = new Set(available.map(([id]) => id))
        const newer = applied.some((m) => !availableIds.has(m.id))
        const all = available.every(([id]) => appliedIds.has(id))
        let differences = all
          ? compareSchemas(expectedSchema, live)
          : compareSchemas(yield* produce(available.filter(([id]) => appliedIds.has(id))), live)
        if (all && drift(differences, newer).length > 0) {
          const snapshot = differences
          differences = yield* produce(available).pipe(
            Effect.map((produced) => compareSchemas(produced, live)),
            Effect.tapError((error) => Effect.logWarning(`${error.message}; judging by the committed snapshot alone`)),
            Effect.orElseSucceed(() => snapshot)
          )
        }
        return {
          drift: drift(differences, newer),
          extra: differences.filter((d) => d.change === "extra"),
          missingTables: differences.filter((d) => d.kind === "table" && d.change === "missing").map((d) => d.name)
        }
      })

    const status = Effect.gen(function*() {
      const live = yield* describeCurrentSchema
      const applied = live.migrationsTable ? yield* appliedMigrations : []
      const available = yield* loaded
      return {
        applied,
        ...compareApplied(applied, available),
        ...(yield* checkSchema(live, applied, available))
      } satisfies MigrationStatus
    }).pipe(Effect.withSpan("Migrations.status"))

    const checkOrder = Effect.gen(function*() {
      const { conflicts, skipped } = compareApplied(yield* appliedMigrations, yield* loaded)
      if (conflicts.length > 0) return yield* MigrationConflict.of(conflicts)
      if (skipped.length > 0) {
        return yield* new MigrationSkipped({
          migrations: skipped,
          message: `Migrations numbered below the newest applied one were never applied: ${skipped.join(", ")}. ` +
            "Renumber them above the newest applied migration."
        })
      }
    })

    // Each migration logs its progress as it runs inside the Migrator.
    const loggedLoader: Migrator.Loader = loaded.pipe(
      Effect.orDie,
      Effect.map(Array.map(([id, name, load]) =>
        [
          id,
          name,
          Effect.map(load, (module) => {
            const migration = (module as { default?: Effect.Effect<unknown> }).default ?? module
            return Effect.logInfo(`Applying migration ${label(id, name)}`).pipe(
              Effect.zipRight(Effect.isEffect(migration) ? migration : Effect.die(`${label(id, name)} exports no Effect`)),
              Effect.timed,
              Effect.flatMap(([took]) =>
                Effect.logInfo(`Applied migration ${label(id, name)} in ${Duration.toMillis(took).toFixed(1)}ms`)
              )
            )
          })
        ] as const
      ))
    )

    // The Migrator reports a failing migration as a defect; it is an expected outcome, so make it a value.
    const toMigrationFailed = (defect: unknown) => {
      if (!(defect instanceof Migrator.MigrationError)) return Option.none()
      const [, id, name] = /^Migration "(\d+)_(.+)" failed$/.exec(defect.message) ?? []
      const migration = id !== undefined && name !== undefined ? label(Number(id), name) : "(unknown)"
      return Option.some(
        new MigrationFailed({
          migration,
          message: `Migration ${migration} failed: ${databaseMessage(defect.cause)}. Nothing of this run was applied.`
        })
      )
    }

    const lock = (timeout: Duration.Duration) =>
      Effect.gen(function*() {
        yield* sql.unsafe(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(Duration.toMillis(timeout)))}`)
        yield* sql`SELECT pg_advisory_xact_lock(${AdvisoryLockKey})`.pipe(
          Effect.catchIf(
            (error) => error.cause instanceof pg.DatabaseError && error.cause.code === "55P03",
            () =>
              new MigrationLockTimeout({
                message: `Another process held the migration lock for over ${Duration.format(timeout)}. ` +
                  "Check for a stuck migration, or raise MIGRATION_LOCK_TIMEOUT."
              })
          )
        )
        yield* sql`SET LOCAL lock_timeout = DEFAULT`
      })

    /** Applies pending migrations; returns the ones it applied. Safe to call from many processes at once. */
    const migrate = Effect.gen(function*() {
      const { migrationLockTimeout } = yield* AppConfig
      return yield* sql.withTransaction(
        Effect.gen(function*() {
          // A migration may run for minutes: lift the request path's statement bound, server and client side.
          yield* sql`SET LOCAL statement_timeout = 0`
          yield* lock(migrationLockTimeout)
          // Created here, under the lock: the Migrator's own probe-then-CREATE races on a new database.
          yield* sql`CREATE TABLE IF NOT EXISTS ${sql(MigrationsTable)} (
            migration_id integer PRIMARY KEY,
            created_at timestamp with time zone NOT NULL DEFAULT now(),
            name text NOT NULL
          )`
          yield* checkOrder
          const applied = yield* Migrator.make({})({ loader: loggedLoader, table: MigrationsTable }).pipe(
            Effect.catchSomeDefect(toMigrationFailed),
            Effect.catchTag("MigrationError", (error) =>
              new MigrationFailed({ migration: "(migrator)", message: error.message }))
          )
          // Drift is never repaired here: the run is refused (and rolled back) naming what differs.
          const check = yield* checkSchema(yield* describeCurrentSchema, yield* appliedMigrations, yield* loaded)
          if (check.drift.length > 0) {
            return yield* SchemaDrift.of(check.drift.map(describeDifference), { rowsLost: rowsLost(check.drift) })
          }
          return applied.map(([id, name]) => label(id, name))
        })
      )
    }).pipe(
      // Migration files ask for the SqlClient themselves: give them ours.
      Effect.provideService(SqlClient.SqlClient, sql),
      Effect.catchSomeDefect(toMigrationFailed),
      Effect.tap((applied) =>
        Effect.logInfo(
          applied.length > 0 ? `Applied ${applied.length} migration(s): ${applied.join(", ")}` : "Database schema is up to date"
        )
      ),
      Effect.withSpan("Migrations.migrate")
    )

    /** Fails unless every migration is applied and the live schema has everything they produce. */
    const verify = Effect.gen(function*() {
      const current = yield* status
      if (current.conflicts.length > 0) return yield* MigrationConflict.of(current.conflicts)
      if (current.pending.length > 0) return yield* MigrationsPending.of(current.pending)
      if (current.drift.length > 0) {
        return yield* SchemaDrift.of(current.drift.map(describeDifference), { rowsLost: rowsLost(current.drift) })
      }
      return current
    }).pipe(Effect.withSpan("Migrations.verify"))

    /**
     * Restores what the applied migrations produce and the live schema lacks, in one transaction under the
     * migration lock; see `repairSchema` for what it refuses and what `recreateEmpty` does.
     */
    const repair = (options: { readonly recreateEmpty: boolean }) =>
      Effect.gen(function*() {
        const { migrationLockTimeout } = yield* AppConfig
        return yield* sql.withTransaction(
          Effect.gen(function*() {
            // Validating a restored constraint reads the whole table: lift the statement bound, as migrating does.
            yield* sql`SET LOCAL statement_timeout = 0`
            yield* lock(migrationLockTimeout)
            const live = yield* describeCurrentSchema
            const applied = live.migrationsTable ? yield* appliedMigrations : []
            const available = yield* loaded
            const { conflicts, pending } = compareApplied(applied, available)
            if (conflicts.length > 0) return yield* MigrationConflict.of(conflicts)
            // An older version would "restore" what a newer migration changed on purpose.
            const availableIds = new Set(available.map(([id]) => id))
            const newer = applied.filter((m) => !availableIds.has(m.id)).map((m) => label(m.id, m.name))
            if (newer.length > 0) {
              return yield* RepairRefused.of(
                [`the database has migrations this version does not know: ${newer.join(", ")}`],
                "Run the repair with the newest version's code."
              )
            }
            const appliedIds = new Set(applied.map((m) => m.id))
            const expected = yield* produce(available.filter(([id]) => appliedIds.has(id)))
            const { actions } = yield* repairSchema(expected, options)
            return { actions, pending } satisfies RepairResult
          })
        )
      }).pipe(
        Effect.tap(({ actions }) =>
          actions.length > 0 ? Effect.logWarning(`Schema repaired in one transaction: ${actions.length} change(s)`) : Effect.void
        ),
        Effect.withSpan("Migrations.repair")
      )

    /** The schema the migrations produce, for the committed snapshot. */
    const expected = Effect.flatMap(loaded, produce)

    return { status, migrate, verify, repair, expected } as const
  })
}) {}

/**
 * The database, migrated (unless `MIGRATE_ON_START=false`) and verified. The HTTP server requires this
 * service, so no port is bound before the schema is known to be complete.
 */
export class MigratedDatabase extends Context.Tag("MigratedDatabase")<MigratedDatabase, MigrationStatus>() {
  static readonly layer = Layer.effect(
    MigratedDatabase,
    Effect.gen(function*() {
      const { migrateOnStart } = yield* AppConfig
      const migrations = yield* Migrations
      if (migrateOnStart) yield* migrations.migrate
      else yield* Effect.logInfo("MIGRATE_ON_START=false: verifying the schema without migrating")
      const verified = yield* migrations.verify
      yield* Effect.logInfo(
        `Schema verified: ${verified.applied.length} migration(s) applied, the schema has everything they produce`
      )
      if (verified.extra.length > 0) {
        yield* Effect.logInfo(
          `Not made by these migrations (a newer version's, or by hand; left alone): ${
            verified.extra.map(describeDifference).join("; ")
          }`
        )
      }
      return verified
    })
  ).pipe(Layer.provide(Migrations.Default))
}

/** The SQL client together with the proof that its schema is migrated. */
export const DatabaseLive = MigratedDatabase.layer.pipe(Layer.provideMerge(SqlLive))
