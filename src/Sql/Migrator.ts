import { Migrator, SqlClient, type SqlError } from "@effect/sql"
import { Array, Context, Duration, Effect, Layer, Option } from "effect"
import { readdir } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import pg from "pg"
import { AppConfig } from "../Config.js"
import { TablesMissing } from "../Domain/Database.js"
import {
  MigrationConflict,
  MigrationFailed,
  MigrationLockTimeout,
  MigrationSkipped,
  MigrationsPending
} from "../Domain/Migration.js"
import { missingTables, SqlLive } from "../Sql.js"

const MigrationsTable = "effect_sql_migrations"
// One key for "this database is being migrated", shared by every instance and by `npm run migrate`.
const AdvisoryLockKey = 7_263_310_411

export const migrationsDirectory = fileURLToPath(new URL("../migrations", import.meta.url))

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
 * of skipped, a failing migration is a typed error naming it, and the result is verified table by table.
 */
export class Migrations extends Effect.Service<Migrations>()("Migrations", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const loader = yield* MigrationLoader

    const appliedMigrations = sql<AppliedMigration>`
      SELECT migration_id AS id, name, created_at AS applied_at FROM ${sql(MigrationsTable)} ORDER BY migration_id`

    const tableExists = sql<{ exists: boolean }>`SELECT to_regclass(${MigrationsTable}) IS NOT NULL AS exists`.pipe(
      Effect.map((rows) => rows[0]?.exists === true)
    )

    const loaded = loader.pipe(
      Effect.mapError((error) => new MigrationFailed({ migration: "(loader)", message: error.message }))
    )

    const compare = (
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

    const status = Effect.gen(function*() {
      const applied = (yield* tableExists) ? yield* appliedMigrations : []
      const available = yield* loaded
      return { applied, ...compare(applied, available), missingTables: yield* missingTables } satisfies MigrationStatus
    }).pipe(Effect.withSpan("Migrations.status"))

    const checkOrder = Effect.gen(function*() {
      const { conflicts, skipped } = compare(yield* appliedMigrations, yield* loaded)
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

    /**
     * Tables gone although their migrations are recorded (drift): every migration is idempotent, so running
     * them all again, in order, brings back what is missing and leaves what exists alone.
     */
    const repairDrift = Effect.gen(function*() {
      const missing = yield* missingTables
      if (missing.length === 0) return
      yield* Effect.logWarning(
        `Tables missing although their migrations are recorded: ${missing.join(", ")}. Re-applying all migrations.`
      )
      for (const [id, name, load] of yield* loggedLoader) {
        const migration = (yield* load) as Effect.Effect<unknown, unknown>
        yield* migration.pipe(
          Effect.mapError((error) =>
            new MigrationFailed({
              migration: label(id, name),
              message: `Migration ${label(id, name)} failed while repairing: ${databaseMessage(error)}`
            })
          )
        )
      }
    })

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
          yield* repairDrift
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

    /** Fails unless every migration is applied and every table the service needs exists. */
    const verify = Effect.gen(function*() {
      const current = yield* status
      if (current.conflicts.length > 0) return yield* MigrationConflict.of(current.conflicts)
      if (current.pending.length > 0) return yield* MigrationsPending.of(current.pending)
      if (current.missingTables.length > 0) return yield* TablesMissing.of(current.missingTables)
      return current
    }).pipe(Effect.withSpan("Migrations.verify"))

    return { status, migrate, verify } as const
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
      yield* Effect.logInfo(`Schema verified: ${verified.applied.length} migration(s) applied, all tables present`)
      return verified
    })
  ).pipe(Layer.provide(Migrations.Default))
}

/** The SQL client together with the proof that its schema is migrated. */
export const DatabaseLive = MigratedDatabase.layer.pipe(Layer.provideMerge(SqlLive))
