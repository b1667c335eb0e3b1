import { type Migrator, SqlClient } from "@effect/sql"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, type Scope } from "effect"
import pg from "pg"
import { AppConfig } from "../src/Config.js"
import { SocialTables } from "../src/Domain/Database.js"
import { MigratedDatabase, MigrationLoader, Migrations, migrationsDirectory, fromDirectory } from "../src/Sql/Migrator.js"
import { SqlLive } from "../src/Sql.js"
import { freshDatabase, migrationNames, query, tableNames } from "./support/Database.js"
import { migrate, run } from "./support/Process.js"

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

  it.live("drift: tables dropped after migrating fail verification by name, and migrating again refuses instead of recreating them", () =>
    onFreshDatabase((url) =>
      Effect.gen(function*() {
        const migrations = yield* Migrations
        yield* migrations.migrate
        yield* Effect.promise(() => query(url, "INSERT INTO social_discovery_jobs (platform) VALUES ('github')"))
        yield* Effect.promise(() => query(url, "DROP TABLE social_messages, social_drafts"))
        const error = yield* Effect.flip(migrations.verify)
        assert(error._tag === "SchemaDrift")
        expect(error.differences).toEqual(["table social_drafts: missing", "table social_messages: missing"])
        expect(error.message).toContain("restore the database from a backup")
        expect(error.message).toContain("npm run migrate -- repair --recreate-empty")

        const again = yield* Effect.flip(migrations.migrate)
        expect(again._tag).toBe("SchemaDrift")
        expect(yield* Effect.promise(() => tableNames(url))).not.toContain("social_drafts")
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

/** Bob (1) and Ann (2), found by one discovery job; a draft for each, and Ann's queued as a message. */
const seed = (url: string) =>
  query(
    url,
    `INSERT INTO social_discovery_jobs (platform) VALUES ('bluesky');
     INSERT INTO social_profiles (platform, external_id, handle, display_name, discovery_job_id)
       VALUES ('bluesky', 'did:plc:bob', 'bob.bsky.social', 'Bob', 1), ('bluesky', 'did:plc:ann', 'ann.bsky.social', 'Ann', 1);
     INSERT INTO social_drafts (profile_id, channel, body) VALUES (1, 'webhook', 'Hi Bob'), (2, 'webhook', 'Hi Ann');
     INSERT INTO social_messages (draft_id, profile_id, channel, body) VALUES (2, 2, 'webhook', 'Hi Ann');`
  )

// These start `migrate` processes, each a few seconds on a loaded machine.
const ProcessTimeout = 120_000

/** The incident: migrated and in use, then `DROP TABLE social_profiles CASCADE`. */
const loseProfiles = (url: string) =>
  Effect.gen(function*() {
    yield* (yield* Migrations).migrate
    yield* Effect.promise(() => seed(url))
    yield* Effect.promise(() => query(url, "DROP TABLE social_profiles CASCADE"))
  })

const outcome = (url: string, text: string) =>
  query(url, text).then(() => "ok", (e: pg.DatabaseError) => e.code!)

/**
 * `pg_dump --schema-only`, without what differs between any two dumps (comments, settings, the restrict key).
 * Columns of a table are compared as a set: a column added back by a repair goes last, and nothing reads
 * columns by position.
 */
const schemaDump = async (url: string) => {
  const dumped = await run("/usr/lib/postgresql/15/bin/pg_dump", ["--schema-only", "--no-owner", "--no-privileges", url], {})
  expect(dumped.code, dumped.stderr).toBe(0)
  const lines = dumped.stdout
    .split("\n")
    .filter((line) => line.trim() !== "" && !/^(--|SET |SELECT pg_catalog\.set_config|\\(un)?restrict )/.test(line))
  const normalised: Array<string> = []
  let columns: Array<string> | undefined
  for (const line of lines) {
    if (columns !== undefined && line === ");") {
      normalised.push(...columns.sort(), line)
      columns = undefined
    } else if (columns !== undefined) columns.push(line.replace(/,$/, ""))
    else {
      normalised.push(line)
      if (/^CREATE TABLE .* \($/.test(line)) columns = []
    }
  }
  return normalised.join("\n")
}

describe("Drift, detected completely and repaired only on purpose", () => {
  it.live("DROP TABLE social_profiles CASCADE: migrate and repair refuse, naming the table and the foreign keys the cascade took", () =>
    onFreshDatabase((url) =>
      Effect.gen(function*() {
        yield* loseProfiles(url)
        const lost = [
          "table social_profiles: missing",
          "constraint social_drafts.social_drafts_profile_id_fkey: missing " +
          "(FOREIGN KEY (profile_id) REFERENCES social_profiles(id) ON DELETE CASCADE)",
          "constraint social_messages.social_messages_profile_id_fkey: missing " +
          "(FOREIGN KEY (profile_id) REFERENCES social_profiles(id) ON DELETE RESTRICT)"
        ]

        const applied = yield* Effect.promise(() => migrate([], { DATABASE_URL: url }))
        expect(applied.code).toBe(1)
        for (const line of lost) expect(applied.stderr).toContain(line)
        expect(applied.stderr).toContain("restore the database from a backup")
        expect(applied.stderr).toContain("npm run migrate -- repair --recreate-empty")
        expect(yield* Effect.promise(() => tableNames(url))).not.toContain("social_profiles")

        const status = yield* Effect.promise(() => migrate(["status"], { DATABASE_URL: url }))
        expect(status.code).toBe(3)
        expect(status.stdout).toContain("Drift (3)")
        for (const line of lost) expect(status.stdout).toContain(line)

        const refused = yield* Effect.flip((yield* Migrations).repair({ recreateEmpty: false }))
        assert(refused._tag === "RepairRefused")
        expect(refused.reasons).toEqual([
          "table social_profiles is missing: any rows it held are lost, and social_drafts.profile_id and " +
          "social_messages.profile_id refer to them"
        ])
        expect(refused.remedy).toContain("npm run migrate -- repair --recreate-empty")
        expect(yield* Effect.promise(() => tableNames(url))).not.toContain("social_profiles")
        // "Hi Ann" is still there, pointing at nobody; nothing can take profile 2 while the table is gone.
        expect(yield* Effect.promise(() => query(url, "SELECT body FROM social_drafts ORDER BY id"))).toEqual([
          { body: "Hi Bob" },
          { body: "Hi Ann" }
        ])
      })
    ), ProcessTimeout)

  it.live("repair --recreate-empty: the complete schema back, the rows that pointed at lost profiles removed and listed, no id reused", () =>
    onFreshDatabase((url) =>
      Effect.gen(function*() {
        yield* loseProfiles(url)

        const repaired = yield* Effect.promise(() => migrate(["repair", "--recreate-empty"], { DATABASE_URL: url }))
        expect(repaired.code, repaired.stdout + repaired.stderr).toBe(0)
        const said = repaired.stdout
        expect(said).toContain("recreated table social_profiles, empty")
        expect(said).toContain(
          "social_messages: removed 1 row(s) (id 1) that pointed at removed social_drafts rows " +
            "(social_messages_draft_id_fkey, ON DELETE RESTRICT)"
        )
        expect(said).toContain(
          "social_drafts: removed 2 row(s) (id 1, 2) whose profile_id pointed at social_profiles rows that are gone " +
            "(social_drafts_profile_id_fkey, ON DELETE CASCADE)"
        )
        expect(said).toContain("restored constraint social_drafts.social_drafts_profile_id_fkey")
        expect(said).toContain("restored constraint social_messages.social_messages_profile_id_fkey")
        expect(said).toContain("social_profiles: new ids start at 3")

        // No new person takes Ann's id, and nothing can point at a profile that does not exist.
        const [carol] = yield* Effect.promise(() =>
          query<{ id: number }>(url, "INSERT INTO social_profiles (platform, external_id, handle) VALUES ('bluesky', 'did:plc:carol', 'carol') RETURNING id::int")
        )
        expect(carol!.id).toBe(3)
        expect(yield* Effect.promise(() => query(url, "SELECT * FROM social_drafts"))).toEqual([])
        expect(yield* Effect.promise(() => outcome(url, "INSERT INTO social_drafts (profile_id, channel, body) VALUES (999999, 'webhook', 'hi')"))).toBe("23503")
        expect(yield* Effect.promise(() => outcome(url, "INSERT INTO social_drafts (profile_id, channel, body) VALUES (3, 'webhook', 'Hi Carol')"))).toBe("ok")
        const [job] = yield* Effect.promise(() => query<{ n: number }>(url, "SELECT count(*)::int AS n FROM social_discovery_jobs"))
        expect(job!.n).toBe(1)

        expect((yield* (yield* Migrations).verify).drift).toEqual([])
      })
    ), ProcessTimeout)

  it.live("a repaired schema equals a fresh one, by pg_dump --schema-only", () =>
    Effect.gen(function*() {
      const fresh = yield* freshDatabase
      yield* Effect.promise(() => migrate([], { DATABASE_URL: fresh.url }))
      yield* onFreshDatabase((url) =>
        Effect.gen(function*() {
          yield* (yield* Migrations).migrate
          yield* Effect.promise(() => seed(url))
          yield* Effect.promise(() =>
            query(
              url,
              `DROP TABLE social_discovery_jobs, social_drafts CASCADE;
               DROP INDEX social_messages_due_idx;
               ALTER TABLE social_profiles DROP CONSTRAINT social_profiles_handle_check;
               ALTER TABLE social_messages ALTER COLUMN recipient DROP DEFAULT;
               ALTER TABLE social_suppressions DROP COLUMN external_id;
               DROP TABLE social_channel_pacing`
            )
          )
          const { actions } = yield* (yield* Migrations).repair({ recreateEmpty: true })
          expect(actions).toEqual(expect.arrayContaining([
            "recreated table social_discovery_jobs, empty",
            "recreated table social_drafts, empty",
            "recreated column social_suppressions.external_id (text): its old values are lost",
            "restored column social_messages.recipient to text DEFAULT ''::text NOT NULL",
            "social_profiles: set discovery_job_id to NULL in 2 row(s) (id 1, 2) whose discovery_job_id pointed at " +
            "social_discovery_jobs rows that are gone (social_profiles_discovery_job_id_fkey, ON DELETE SET NULL)",
            "social_messages: removed 1 row(s) (id 1) whose draft_id pointed at social_drafts rows that are gone " +
            "(social_messages_draft_id_fkey, ON DELETE RESTRICT)",
            "restored index social_messages.social_messages_due_idx",
            "social_discovery_jobs: new ids start at 2, above every id still referenced, so no new row takes an old row's id",
            "social_drafts: new ids start at 3, above every id still referenced, so no new row takes an old row's id"
          ]))
          expect(yield* Effect.promise(() => query(url, "SELECT handle FROM social_profiles ORDER BY id"))).toEqual([
            { handle: "bob.bsky.social" },
            { handle: "ann.bsky.social" }
          ])
          expect(yield* Effect.promise(() => schemaDump(url))).toEqual(yield* Effect.promise(() => schemaDump(fresh.url)))
        })
      )
    }).pipe(Effect.scoped), ProcessTimeout)

  it.live("a lost foreign key alone: status exits 3 naming it; repair refuses while a row violates it, then restores it validated", () =>
    onFreshDatabase((url) =>
      Effect.gen(function*() {
        yield* (yield* Migrations).migrate
        yield* Effect.promise(() => seed(url))
        yield* Effect.promise(() =>
          query(url, "ALTER TABLE social_drafts DROP CONSTRAINT social_drafts_profile_id_fkey; DROP INDEX social_profiles_status_id_idx")
        )
        yield* Effect.promise(() => query(url, "INSERT INTO social_drafts (profile_id, channel, body) VALUES (999999, 'webhook', 'Hi nobody')"))

        const status = yield* Effect.promise(() => migrate(["status"], { DATABASE_URL: url }))
        expect(status.code).toBe(3)
        expect(status.stdout).toContain("Drift (2)")
        expect(status.stdout).toContain("constraint social_drafts.social_drafts_profile_id_fkey: missing")
        expect(status.stdout).toContain("index social_profiles.social_profiles_status_id_idx: missing")
        expect(status.stderr).toContain("npm run migrate -- repair")

        const migrations = yield* Migrations
        const refused = yield* Effect.flip(migrations.repair({ recreateEmpty: false }))
        assert(refused._tag === "RepairRefused")
        expect(refused.reasons).toEqual([
          "1 row(s) of social_drafts have profile_id pointing at social_profiles rows that do not exist, so " +
          "social_drafts_profile_id_fkey cannot be restored"
        ])
        expect((yield* Effect.flip(migrations.verify))._tag).toBe("SchemaDrift")

        yield* Effect.promise(() => query(url, "DELETE FROM social_drafts WHERE profile_id = 999999"))
        const { actions } = yield* migrations.repair({ recreateEmpty: false })
        expect(actions).toEqual([
          "restored constraint social_drafts.social_drafts_profile_id_fkey: " +
          "FOREIGN KEY (profile_id) REFERENCES social_profiles(id) ON DELETE CASCADE",
          "restored index social_profiles.social_profiles_status_id_idx"
        ])
        expect(yield* Effect.promise(() => query(url, "SELECT body FROM social_drafts ORDER BY id"))).toEqual([
          { body: "Hi Bob" },
          { body: "Hi Ann" }
        ])
        const [fk] = yield* Effect.promise(() =>
          query<{ validated: boolean }>(url, "SELECT convalidated AS validated FROM pg_constraint WHERE conname = 'social_drafts_profile_id_fkey'")
        )
        expect(fk!.validated).toBe(true)
        expect((yield* migrations.verify).drift).toEqual([])
        expect((yield* migrations.repair({ recreateEmpty: false })).actions).toEqual([])
      })
    ), ProcessTimeout)

  it.live("the old version after a newer version's migrations: what they added is reported, not drift", () =>
    onFreshDatabase((url) =>
      Effect.gen(function*() {
        const migrations = yield* Migrations
        yield* migrations.migrate
        // What a newer release's migration might do: add a column, a table and an index, and widen a CHECK.
        yield* Effect.promise(() =>
          query(
            url,
            `INSERT INTO effect_sql_migrations (migration_id, name) VALUES (99, 'newer_release');
             ALTER TABLE social_profiles ADD COLUMN language text;
             CREATE TABLE social_replies (id bigint PRIMARY KEY, message_id bigint REFERENCES social_messages (id));
             CREATE INDEX social_profiles_language_idx ON social_profiles (language);
             ALTER TABLE social_messages DROP CONSTRAINT social_messages_status_check,
               ADD CONSTRAINT social_messages_status_check CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'bounced'))`
          )
        )
        expect(yield* migrations.migrate).toEqual([])
        const verified = yield* migrations.verify
        expect(verified.drift).toEqual([])
        expect(verified.extra.map((d) => `${d.kind} ${d.name}`)).toEqual([
          "table social_replies",
          "column language",
          "index social_profiles_language_idx"
        ])
        yield* Layer.build(MigratedDatabase.layer)

        const status = yield* Effect.promise(() => migrate(["status"], { DATABASE_URL: url }))
        expect(status.code, status.stdout + status.stderr).toBe(0)
        expect(status.stdout).toContain("Not made by these migrations (3): left alone, not drift")
        expect(status.stdout).toContain("column social_profiles.language: not made by these migrations (text)")

        // Nor does this version's repair undo what the newer one changed on purpose.
        const refused = yield* Effect.flip(migrations.repair({ recreateEmpty: false }))
        assert(refused._tag === "RepairRefused")
        expect(refused.reasons).toEqual(["the database has migrations this version does not know: 0099_newer_release"])

        // Without a newer migration recorded, the same changed CHECK is drift.
        yield* Effect.promise(() => query(url, "DELETE FROM effect_sql_migrations WHERE migration_id = 99"))
        const drifted = yield* Effect.flip(migrations.verify)
        assert(drifted._tag === "SchemaDrift")
        expect(drifted.differences).toEqual([
          "constraint social_messages.social_messages_status_check: differs (expected " +
          "CHECK ((status = ANY (ARRAY['queued'::text, 'sending'::text, 'sent'::text, 'failed'::text]))); found " +
          "CHECK ((status = ANY (ARRAY['queued'::text, 'sending'::text, 'sent'::text, 'failed'::text, 'bounced'::text]))))"
        ])
      })
    ), ProcessTimeout)

  it.live("status exits 3 when migrations are pending (0 when up to date: above), 2 on an unknown subcommand", () =>
    onFreshDatabase((url) =>
      Effect.gen(function*() {
        const pending = yield* Effect.promise(() => migrate(["status"], { DATABASE_URL: url }))
        expect(pending.code).toBe(3)
        expect(pending.stdout).toContain(`Pending (${migrationNames.length})`)
        expect(pending.stdout).toContain("Drift (0)")
        expect(pending.stderr).toContain("npm run migrate")
        const usage = yield* Effect.promise(() => migrate(["repair", "--force"], { DATABASE_URL: url }))
        expect(usage.code).toBe(2)
        expect(usage.stderr).toContain("migrate repair --recreate-empty")
      })
    ), ProcessTimeout)
})
