import { SqlClient } from "@effect/sql"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AppConfig } from "../src/Config.js"
import { DatabaseLive, Migrations } from "../src/Sql/Migrator.js"
import { SqlLive } from "../src/Sql.js"
import { describeCurrentSchema } from "../src/Sql/Schema.js"
import { expectedSchema } from "../src/Sql/Schema/Expected.js"
import { compare } from "../src/Sql/Schema/Policy.js"
import { migrationNames } from "./support/Database.js"

const embedded = (dataDir: string) =>
  DatabaseLive.pipe(Layer.provide(AppConfig.fromMap({ PGLITE_DATA_DIR: dataDir, LOG_LEVEL: "none" })))

describe("Embedded PGlite", () => {
  it.live("keeps its data and its migrations across restarts", () =>
    Effect.gen(function*() {
      const dataDir = yield* Effect.acquireRelease(
        Effect.sync(() => join(mkdtempSync(join(tmpdir(), "so-embedded-")), "nested", "pglite")),
        (dir) => Effect.sync(() => rmSync(join(dir, "..", ".."), { recursive: true, force: true }))
      )
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO social_discovery_jobs (platform, filters) VALUES ('bluesky', '{"query":"kept"}')`
      }).pipe(Effect.provide(embedded(dataDir)))

      const [jobs, migrations] = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        return yield* Effect.all([
          sql<{ filters: { query: string } }>`SELECT filters FROM social_discovery_jobs`,
          sql<{ n: number }>`SELECT count(*)::int AS n FROM effect_sql_migrations`
        ])
      }).pipe(Effect.provide(embedded(dataDir)))
      expect(jobs.map((job) => job.filters.query)).toEqual(["kept"])
      expect(migrations[0]!.n).toBe(migrationNames.length)
    }).pipe(Effect.scoped), 60_000)

  it.live("refuses a data directory another live process holds", () =>
    Effect.gen(function*() {
      const dataDir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "so-locked-"))),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      )
      // pid 1 is always alive.
      writeFileSync(join(dataDir, "social-outreach.lock"), "1")
      const error = yield* Effect.flip(Layer.build(embedded(dataDir)))
      expect(String(error.message)).toContain("in use by process 1")
    }).pipe(Effect.scoped), 60_000)

  it.live("matches the committed schema snapshot, and finds and repairs drift as PostgreSQL does", () =>
    Effect.gen(function*() {
      const dataDir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "so-drift-"))),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      )
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const migrations = yield* Migrations
        yield* migrations.migrate
        // PGlite is PostgreSQL 18: its catalog must read exactly as the snapshot made on another version.
        expect(compare(expectedSchema, yield* describeCurrentSchema)).toEqual([])

        yield* sql`INSERT INTO social_profiles (platform, external_id, handle) VALUES ('bluesky', 'did:plc:ann', 'ann')`
        yield* sql`INSERT INTO social_drafts (profile_id, channel, body) VALUES (1, 'webhook', 'Hi Ann')`
        yield* sql`DROP TABLE social_profiles CASCADE`
        const drift = yield* Effect.flip(migrations.verify)
        assert(drift._tag === "SchemaDrift")
        expect(drift.differences).toHaveLength(3)
        expect(drift.differences[1]).toContain("social_drafts_profile_id_fkey: missing")

        const { actions } = yield* migrations.repair({ recreateEmpty: true })
        expect(actions).toContain(
          "social_drafts: removed 1 row(s) (id 1) whose profile_id pointed at social_profiles rows that are gone " +
            "(social_drafts_profile_id_fkey, ON DELETE CASCADE)"
        )
        expect(actions).toContain("social_profiles: new ids start at 2, above every id still referenced, so no new row takes an old row's id")
        expect((yield* migrations.verify).drift).toEqual([])
      }).pipe(
        Effect.provide(Migrations.Default.pipe(
          Layer.provideMerge(SqlLive),
          Layer.provideMerge(AppConfig.fromMap({ PGLITE_DATA_DIR: dataDir, LOG_LEVEL: "none" }))
        ))
      )
    }).pipe(Effect.scoped), 60_000)
})
