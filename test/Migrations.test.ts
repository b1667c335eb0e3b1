import { type Migrator, SqlClient } from "@effect/sql"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, type Scope } from "effect"
import pg from "pg"
import { AppConfig } from "../src/Config.js"
import { SocialTables } from "../src/Domain/Database.js"
import { MigratedDatabase, MigrationLoader, Migrations, migrationsDirectory, fromDirectory } from "../src/Sql/Migrator.js"
import { SqlLive } from "../src/Sql.js"
import { freshDatabase, migrationNames, query, tableNames } from "./support/Database.js"

const table = (name: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE TABLE IF NOT EXISTS ${sql(name)} (id int)`)

const boom = Effect.flatMap(SqlClient.SqlClient, (sql) => sql`INSERT INTO no_such_table VALUES (1)`)

const record = (entries: Record<string, Effect.Effect<unknown, unknown, SqlClient.SqlClient>>): Migrator.Loader =>
  Effect.succeed(
    Object.entries(entries).map(([key, effect]) => {
      const [, id, name] = /^(\d+)_(.+)$/.exec(key)!
      return [Number(id), name!, Effect.succeed(effect)] as const
    })
  )

/** Runs `body` with the Migrations service on a fresh database of its own. */
const onFreshDatabase = <A, E>(
  body: (url: string) => Effect.Effect<A, E, Migrations | SqlClient.SqlClient | AppConfig | Scope.Scope>,
  options: { readonly loader?: Migrator.Loader; readonly config?: Record<string, string> } = {}
) =>
  Effect.gen(function*() {
    const { url } = yield* freshDatabase
    const services = Migrations.Default.pipe(
      Layer.provide(options.loader ? Layer.succeed(MigrationLoader, options.loader) : Layer.empty),
      Layer.provideMerge(SqlLive),
      Layer.provideMerge(AppConfig.fromMap({ DATABASE_URL: url, ...options.config }))
    )
    return yield* body(url).pipe(Effect.provide(services))
  }).pipe(Effect.scoped)

describe("Migrations on PostgreSQL", () => {
  it.live("migrates a new database, then has nothing left to do", () =>
    onFreshDatabase((url) =>
      Effect.gen(function*() {
        const migrations = yield* Migrations
        const applied = yield* migrations.migrate
        expect(applied).toEqual(migrationNames)
        expect(yield* migrations.migrate).toEqual([])
        const status = yield* migrations.verify
        expect(status.pending).toEqual([])
        expect(yield* Effect.promise(() => tableNames(url))).toEqual(
          [...SocialTables, "effect_sql_migrations"].sort()
        )
      })
    ))

  it.live("the schema has the keys and checks the domain relies on", () =>
    onFreshDatabase((url) =>
      Effect.gen(function*() {
        yield* (yield* Migrations).migrate
        const insert = (text: string) =>
          Effect.promise(() => query(url, text).then(() => "ok", (e: pg.DatabaseError) => e.code!))
        expect(yield* insert("INSERT INTO social_profiles (platform, external_id, handle) VALUES ('bluesky', 'did:plc:1', 'a')")).toBe("ok")
        expect(yield* insert("INSERT INTO social_profiles (platform, external_id, handle) VALUES ('bluesky', 'did:plc:1', 'b')")).toBe("23505")
        expect(yield* insert("INSERT INTO social_profiles (platform, external_id, handle) VALUES ('myspace', 'x', 'b')")).toBe("23514")
        expect(yield* insert("INSERT INTO social_discovery_jobs (platform, status) VALUES ('github', 'exploded')")).toBe("23514")
        expect(yield* insert("INSERT INTO social_drafts (profile_id, channel, body) VALUES (424242, 'webhook', 'hi')")).toBe("23503")
        expect(yield* insert("INSERT INTO social_drafts (profile_id, channel, body, status) SELECT id, 'webhook', 'hi', 'approved' FROM social_profiles")).toBe("23514")
      })
    ))

  it.live("adopts a database whose tables already exist", () =>
    onFreshDatabase((url) =>
      Effect.gen(function*() {
        // Tables made by a predecessor (or by hand) with no record of any migration.
        yield* (yield* Migrations).migrate
        yield* Effect.promise(() => query(url, "DROP TABLE effect_sql_migrations"))
        const applied = yield* (yield* Migrations).migrate
        expect(applied).toEqual(migrationNames)
        expect((yield* (yield* Migrations).verify).missingTables).toEqual([])
      })
    ))

  it.live("a migration numbered below the newest applied one is refused by name, not skipped", () =>
    Effect.gen(function*() {
      const { url } = yield* freshDatabase
      const run = (loader: Migrator.Loader) =>
        Effect.flatMap(Migrations, (m) => m.migrate).pipe(
          Effect.provide(Migrations.Default.pipe(
            Layer.provide(Layer.succeed(MigrationLoader, loader)),
            Layer.provide(SqlLive),
            Layer.provideMerge(AppConfig.fromMap({ DATABASE_URL: url }))
          )),
          Effect.exit
        )
      const first = yield* run(record({ "1_one": table("one"), "3_three": table("three") }))
      assert(Exit.isSuccess(first), String(Exit.isFailure(first) && first.cause))
      const second = yield* run(record({ "1_one": table("one"), "2_two": table("two"), "3_three": table("three") }))
      assert(Exit.isFailure(second))
      expect(second.cause.toString()).toContain("MigrationSkipped")
      expect(second.cause.toString()).toContain("0002_two")
      expect(yield* Effect.promise(() => tableNames(url))).not.toContain("two")

      const renamed = yield* run(record({ "1_uno": table("one"), "3_three": table("three") }))
      assert(Exit.isFailure(renamed))
      expect(renamed.cause.toString()).toContain("MigrationConflict")
      expect(renamed.cause.toString()).toContain("0001_uno (applied as 0001_one)")
    }).pipe(Effect.scoped))

  it.live("a failing migration names itself and the database error, and leaves nothing of its batch", () =>
    onFreshDatabase(
      (url) =>
        Effect.gen(function*() {
          const error = yield* Effect.flip((yield* Migrations).migrate)
          assert(error._tag === "MigrationFailed")
          expect(error.migration).toBe("0002_boom")
          expect(error.message).toContain('relation "no_such_table" does not exist')
          expect(error.message).toContain("42P01")
          const tables = yield* Effect.promise(() => tableNames(url))
          expect(tables).not.toContain("first")
          expect(tables).not.toContain("effect_sql_migrations")
        }),
      { loader: record({ "1_first": table("first"), "2_boom": boom }) }
    ))

  it.live("drift: tables dropped after migrating fail verification by name, and migrating again restores them", () =>
    onFreshDatabase((url) =>
      Effect.gen(function*() {
        const migrations = yield* Migrations
        yield* migrations.migrate
        yield* Effect.promise(() => query(url, "INSERT INTO social_discovery_jobs (platform) VALUES ('github')"))
        yield* Effect.promise(() => query(url, "DROP TABLE social_messages, social_drafts"))
        const error = yield* Effect.flip(migrations.verify)
        assert(error._tag === "TablesMissing")
        expect(error.tables).toEqual(["social_drafts", "social_messages"])
        expect(error.message).toContain("npm run migrate")

        expect(yield* migrations.migrate).toEqual([])
        expect((yield* migrations.verify).missingTables).toEqual([])
        const [jobs] = yield* Effect.promise(() => query<{ n: number }>(url, "SELECT count(*)::int AS n FROM social_discovery_jobs"))
        expect(jobs!.n).toBe(1)
      })
    ))

  it.live("waits a bounded time for another migrator's lock, then says so", () =>
    onFreshDatabase(
      (url) =>
        Effect.gen(function*() {
          const holder = new pg.Client({ connectionString: url })
          yield* Effect.acquireRelease(
            Effect.promise(async () => {
              await holder.connect()
              await holder.query("SELECT pg_advisory_lock(7263310411)")
            }),
            () => Effect.promise(() => holder.end())
          )
          const error = yield* Effect.flip((yield* Migrations).migrate)
          expect(error._tag).toBe("MigrationLockTimeout")
          expect(error.message).toContain("MIGRATION_LOCK_TIMEOUT")
        }),
      { config: { MIGRATION_LOCK_TIMEOUT: "300 millis" } }
    ))

  it.live("MIGRATE_ON_START=false only verifies: a new database fails startup naming the pending migrations", () =>
    onFreshDatabase(
      (url) =>
        Effect.gen(function*() {
          const exit = yield* Layer.build(MigratedDatabase.layer).pipe(Effect.scoped, Effect.exit)
          assert(Exit.isFailure(exit))
          expect(exit.cause.toString()).toContain("MigrationsPending")
          expect(exit.cause.toString()).toContain("0001_create_social_discovery_jobs")
          expect(yield* Effect.promise(() => tableNames(url))).toEqual([])
        }),
      { config: { MIGRATE_ON_START: "false" } }
    ))

  it.effect("the loader reads every numbered file in src/migrations, in order", () =>
    Effect.gen(function*() {
      const loaded = yield* fromDirectory(migrationsDirectory)
      expect(loaded.map(([id, name]) => `${id}_${name}`)).toEqual([
        "1_create_social_discovery_jobs",
        "2_create_social_profiles",
        "3_create_social_drafts",
        "4_create_social_messages",
        "5_discovery_engine",
        "6_outreach_controls",
        "7_sending",
        "8_send_controls",
        "9_privacy"
      ])
    }))
})
