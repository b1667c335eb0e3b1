import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AppConfig } from "../src/Config.js"
import { DatabaseLive } from "../src/Sql/Migrator.js"
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
})
