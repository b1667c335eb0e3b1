import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { Data, Effect, Redacted } from "effect"
import { mkdirSync } from "node:fs"
import { resolve } from "node:path"

export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{
  readonly message: string
  readonly cause: unknown
}> {}

/**
 * PGlite, persisted in a data directory and spoken to over the PostgreSQL wire protocol on a random loopback
 * port, so the service talks to it through the very same `PgClient` as to a real server.
 */
export const EmbeddedPostgres = {
  start: (dataDir: string) =>
    Effect.gen(function*() {
      const directory = resolve(dataDir)
      const db = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            mkdirSync(directory, { recursive: true })
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
