import pg from "pg"
import { describe, expect, it } from "vitest"
import { SocialTables } from "../src/Domain/Database.js"
import { createDatabase, dropDatabase, migrationNames, query, tableNames } from "./support/Database.js"
import { eventuallyAsync } from "./support/Eventually.js"
import { migrate } from "./support/Process.js"

const waitForWaiters = (url: string, count: number) =>
  eventuallyAsync(async () => {
    const [row] = await query<{ n: number }>(
      url,
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    if (row!.n < count) throw new Error(`${row!.n} of ${count} migrators wait on the lock`)
  }, { within: 60_000, what: "every migrator to wait on the lock" })

const Processes = 8
const Rounds = 3

describe("Many instances migrating one new database at once", () => {
  it(`${Processes} processes, ${Rounds} rounds: all succeed and each migration is applied exactly once`, async () => {
    for (let round = 1; round <= Rounds; round++) {
      const { name, url } = await createDatabase()
      try {
        // Hold the migration lock until every process is connected and waiting on it, so they all go at once.
        const holder = new pg.Client({ connectionString: url })
        await holder.connect()
        await holder.query("SELECT pg_advisory_lock(7263310411)")
        const running = Array.from({ length: Processes }, () => migrate([], { DATABASE_URL: url }))
        await waitForWaiters(url, Processes)
        const [table] = await query<{ exists: boolean }>(url, "SELECT to_regclass('effect_sql_migrations') IS NOT NULL AS exists")
        expect(table!.exists).toBe(false)
        await holder.end()
        const results = await Promise.all(running)
        for (const result of results) expect(result.code, `round ${round}: ${result.stdout}${result.stderr}`).toBe(0)
        const recorded = await query<{ migration_id: number }>(url, "SELECT migration_id FROM effect_sql_migrations ORDER BY 1")
        expect(recorded.map((row) => row.migration_id)).toEqual(migrationNames.map((_, i) => i + 1))
        expect(results.filter((result) => result.stdout.includes(`Applied ${migrationNames.length} migration(s)`))).toHaveLength(1)
        expect(results.filter((result) => result.stdout.includes("Nothing to apply"))).toHaveLength(Processes - 1)
        expect(await tableNames(url)).toEqual(expect.arrayContaining([...SocialTables]))
      } finally {
        await dropDatabase(name)
      }
    }
  }, 240_000)
})
