import { readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import pg from "pg"

/** The PostgreSQL server the tests run on; each test file gets a fresh database on it and drops it after. */
export const adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"

export const databaseUrl = (name: string) => {
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

export const query = async <Row extends Record<string, unknown>>(url: string, text: string, values: Array<unknown> = []) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<Row>(text, values)).rows
  } finally {
    await client.end()
  }
}

export const createDatabase = async () => {
  const name = `so_test_${randomBytes(6).toString("hex")}`
  await query(adminUrl, `CREATE DATABASE ${name}`)
  return { name, url: databaseUrl(name) }
}

export const dropDatabase = (name: string) => query(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)

/** A fresh, empty database for the current scope. */
export const freshDatabase = Effect.acquireRelease(
  Effect.promise(createDatabase),
  ({ name }) => Effect.promise(() => dropDatabase(name))
)

export const tableNames = async (url: string) =>
  (await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"))
    .map((row) => row.tablename)

/** The migration files in src/migrations, named as the migrate command reports them. */
export const migrationNames = readdirSync(fileURLToPath(new URL("../../src/migrations", import.meta.url)))
  .filter((file) => /^\d+_[^.]+\.ts$/.test(file))
  .sort()
  .map((file) => file.replace(/\.ts$/, ""))
