import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createDatabase, dropDatabase, migrationNames, query, tableNames } from "./support/Database.js"
import { freePort, migrate, run, runScript, start, waitFor } from "./support/Process.js"

const get = (port: number, path: string) => fetch(`http://127.0.0.1:${port}${path}`)

describe("The service process", () => {
  const databases: Array<string> = []
  let url = ""

  beforeAll(async () => {
    const db = await createDatabase()
    databases.push(db.name)
    url = db.url
  })
  afterAll(async () => {
    for (const name of databases) await dropDatabase(name)
  })

  it("migrates, verifies, and only then listens; SIGTERM lets an in-flight request finish, then exits 0", async () => {
    const port = await freePort()
    const server = start("src/main.ts", [], { DATABASE_URL: url, PORT: String(port), HOST: "127.0.0.1" })
    try {
      await waitFor(async () => (await get(port, "/health/ready")).status === 200, 30_000, "readiness")
      const output = server.output()
      expect(output.indexOf("Schema verified")).toBeGreaterThan(-1)
      expect(output.indexOf("Schema verified")).toBeLessThan(output.indexOf("Listening on"))

      // Hold a lock so a request is still running when SIGTERM arrives.
      const blocker = new pg.Client({ connectionString: url })
      await blocker.connect()
      await blocker.query("BEGIN; LOCK TABLE social_profiles IN ACCESS EXCLUSIVE MODE")
      const inFlight = get(port, "/api/social/profiles")
      await waitFor(async () => {
        const [waiting] = await blocker.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted").then((r) => r.rows)
        return waiting!.n > 0
      }, 10_000, "the request to wait on the lock")
      server.child.kill("SIGTERM")
      await waitFor(async () => server.output().includes("HTTP server draining"), 10_000, "the drain to begin")
      await blocker.query("COMMIT")
      await blocker.end()
      const response = await inFlight
      expect(response.status).toBe(200)
      const finished = await server.finished
      expect(finished.code).toBe(0)
    } finally {
      server.child.kill("SIGKILL")
    }
  }, 60_000)

  it("with MIGRATE_ON_START=false on an unmigrated database it exits naming the pending migrations and never binds", async () => {
    const db = await createDatabase()
    databases.push(db.name)
    const port = await freePort()
    const server = start("src/main.ts", [], {
      DATABASE_URL: db.url,
      PORT: String(port),
      HOST: "127.0.0.1",
      MIGRATE_ON_START: "false"
    })
    let answered = false
    const probing = (async () => {
      while (server.child.exitCode === null && server.child.signalCode === null) {
        answered ||= await get(port, "/health/live").then(() => true, () => false)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    })()
    const finished = await server.finished
    await probing
    expect(finished.code).toBe(1)
    expect(finished.stdout + finished.stderr).toContain("MigrationsPending")
    expect(finished.stdout + finished.stderr).toContain("0001_create_social_discovery_jobs")
    expect(finished.stdout).not.toContain("Listening on")
    expect(answered).toBe(false)
    expect(await tableNames(db.url)).toEqual([])
  }, 60_000)

  it("without API_TOKEN the listening socket is on loopback; a public HOST without a token refuses to start", async () => {
    const port = await freePort()
    const server = start("src/main.ts", [], { DATABASE_URL: url, PORT: String(port), DISCOVERY_WORKERS: "0", SENDER_WORKERS: "0" })
    try {
      await waitFor(async () => (await get(port, "/health/ready")).status === 200, 30_000, "readiness")
      // The address is the listening socket's own (server.address()), as logged when it is bound.
      expect(server.output()).toContain(`Listening on http://127.0.0.1:${port}`)
      expect(server.output()).toContain("listens on 127.0.0.1 only")
    } finally {
      server.child.kill("SIGKILL")
    }
    const open = await runScript("src/main.ts", [], { DATABASE_URL: url, HOST: "0.0.0.0" })
    expect(open.code).toBe(1)
    expect(open.stdout + open.stderr).toContain("ALLOW_OPEN_API")
  }, 60_000)

  it("a bad setting stops startup with a message naming the variable", async () => {
    const finished = await runScript("src/main.ts", [], { PORT: "eighty" })
    expect(finished.code).toBe(1)
    expect(finished.stdout + finished.stderr).toContain("PORT")
  }, 60_000)

  it("an unreachable database is retried with backoff, each attempt logged, then a clear failure", async () => {
    const port = await freePort()
    const finished = await runScript("src/main.ts", [], {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nowhere`,
      DATABASE_CONNECT_RETRIES: "2"
    })
    const output = finished.stdout + finished.stderr
    expect(finished.code).toBe(1)
    expect(output).toContain("attempt 1 of 3")
    expect(output).toContain("attempt 2 of 3")
    expect(output).toContain(`Could not connect to the database (127.0.0.1:${port}/nowhere) after 3 attempt(s)`)
    expect(output).toContain("ECONNREFUSED")
  }, 60_000)

  it("TLS is used when the URL asks for it: sslmode=require against a server without TLS is refused", async () => {
    const finished = await runScript("src/bin/migrate.ts", ["status"], {
      DATABASE_URL: `${url}?sslmode=require`,
      DATABASE_CONNECT_RETRIES: "0"
    })
    expect(finished.code).toBe(1)
    expect(finished.stdout + finished.stderr).toContain("does not support SSL")
  }, 60_000)

  it("prestart.sh migrates and says so; it fails the deploy when migrating fails", async () => {
    const db = await createDatabase()
    databases.push(db.name)
    const ok = await run("bash", ["prestart.sh"], { DATABASE_URL: db.url })
    expect(ok.code, ok.stdout + ok.stderr).toBe(0)
    expect(ok.stdout).toContain("prestart: applying database migrations")
    expect(ok.stdout).toContain(`Applied ${migrationNames.length} migration(s)`)
    expect(ok.stdout).toContain("prestart: migrations done")
    expect(await tableNames(db.url)).toContain("social_profiles")

    const failed = await run("bash", ["prestart.sh"], {
      DATABASE_URL: db.url.replace(db.name, `${db.name}_missing`),
      DATABASE_CONNECT_RETRIES: "0"
    })
    expect(failed.code).not.toBe(0)
    expect(failed.stderr).toContain("prestart: migrations FAILED")
    expect(failed.stdout + failed.stderr).toContain("does not exist")
  }, 60_000)

  it("on a schema that lost a foreign key it exits 1 naming it and the command that restores it, and never binds", async () => {
    const db = await createDatabase()
    databases.push(db.name)
    expect((await migrate([], { DATABASE_URL: db.url })).code).toBe(0)
    await query(db.url, "ALTER TABLE social_messages DROP CONSTRAINT social_messages_profile_id_fkey")
    const port = await freePort()
    const server = start("src/main.ts", [], { DATABASE_URL: db.url, PORT: String(port), HOST: "127.0.0.1" })
    const finished = await Promise.race([
      server.finished,
      waitFor(async () => server.output().includes("Listening on"), 50_000, "exit").then(() => {
        server.child.kill("SIGKILL")
        throw new Error("the server started on a drifted schema")
      })
    ])
    const output = finished.stdout + finished.stderr
    expect(finished.code).toBe(1)
    expect(output).toContain("SchemaDrift")
    expect(output).toContain("constraint social_messages.social_messages_profile_id_fkey: missing")
    expect(output).toContain("npm run migrate -- repair")
    expect(output).not.toContain("Listening on")
  }, 120_000)
})
