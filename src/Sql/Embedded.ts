import { Data, Effect, Redacted } from "effect"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"

export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{
  readonly message: string
  readonly cause: unknown
}> {}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * PGlite has no lock of its own and two processes on one data directory would corrupt it: hold a lock file
 * with our pid, taking over one left by a process that is gone.
 */
const lockDirectory = (directory: string) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        mkdirSync(directory, { recursive: true })
        const lockFile = join(directory, "social-outreach.lock")
        try {
          writeFileSync(lockFile, String(process.pid), { flag: "wx" })
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
          const holder = Number(readFileSync(lockFile, "utf8"))
          if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
            throw new Error(`it is in use by process ${holder}; stop that process first`)
          }
          writeFileSync(lockFile, String(process.pid))
        }
        return lockFile
      },
      catch: (cause) =>
        new EmbeddedPostgresError({
          message: `Cannot open the embedded database at ${directory}: ${(cause as Error).message}`,
          cause
        })
    }),
    (lockFile) => Effect.sync(() => rmSync(lockFile, { force: true }))
  )

/**
 * PGlite, persisted in a data directory and spoken to over the PostgreSQL wire protocol on a random loopback
 * port, so the service talks to it through the very same `PgClient` as to a real server.
 */
export const EmbeddedPostgres = {
  start: (dataDir: string) =>
    Effect.gen(function*() {
      const directory = resolve(dataDir)
      yield* lockDirectory(directory)
      const db = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            // Loaded only here: a service on a real PostgreSQL never pays for the embedded one.
            const { PGlite } = await import("@electric-sql/pglite")
            const db = new PGlite(directory)
            await db.waitReady
            return db
          },
          catch: (cause) =>
            new EmbeddedPostgresError({ message: `Could not open the embedded database at ${directory}: ${cause}`, cause })
        }),
        (db) => Effect.promise(() => db.close())
      )
      const server = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket")
            const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 1 })
            await server.start()
            return server
          },
          catch: (cause) =>
            new EmbeddedPostgresError({ message: `Could not serve the embedded database: ${cause}`, cause })
        }),
        (server) => Effect.promise(() => server.stop())
      )
      yield* Effect.logInfo(`Embedded PostgreSQL (PGlite) at ${directory}, served on ${server.getServerConn()}`)
      return Redacted.make(`postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`)
    })
}
