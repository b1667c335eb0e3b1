import { describe, expect, it } from "vitest"
import { SocialTables } from "../src/Domain/Database.js"
import { createDatabase, dropDatabase, query, tableNames } from "./support/Database.js"
import { migrate } from "./support/Process.js"

const Processes = 8
const Rounds = 3

describe("Many instances migrating one new database at once", () => {
  it(`${Processes} processes, ${Rounds} rounds: all succeed and each migration is applied exactly once`, async () => {
    for (let round = 1; round <= Rounds; round++) {
      const { name, url } = await createDatabase()
      try {
        const results = await Promise.all(Array.from({ length: Processes }, () => migrate([], { DATABASE_URL: url })))
        for (const result of results) expect(result.code, `round ${round}: ${result.stdout}${result.stderr}`).toBe(0)
        const recorded = await query<{ migration_id: number }>(url, "SELECT migration_id FROM effect_sql_migrations ORDER BY 1")
        expect(recorded.map((row) => row.migration_id)).toEqual([1, 2, 3, 4, 5])
        expect(results.filter((result) => result.stdout.includes("Applied 5 migration(s)"))).toHaveLength(1)
        expect(results.filter((result) => result.stdout.includes("Nothing to apply"))).toHaveLength(Processes - 1)
        expect(await tableNames(url)).toEqual(expect.arrayContaining([...SocialTables]))
      } finally {
        await dropDatabase(name)
      }
    }
  }, 240_000)
})
