import { SqlClient, SqlError } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Data, Effect, Layer, Option, Redacted, Schedule, String } from "effect"
import pg from "pg"
import { AppConfig } from "./Config.js"
import { DatabaseUnavailable, SocialTables, TablesMissing } from "./Domain/Database.js"
import { timestampFromPostgres } from "./Domain/Timestamp.js"
import { EmbeddedPostgres } from "./Sql/Embedded.js"
import { DatabaseTimeout, makePool, type PoolOptions } from "./Sql/Pool.js"

// bigint ids and counts fit in a JS number far beyond any table we will hold; strings would leak into the API.
// timestamptz stays text (made ISO 8601): the API serves it as a string, so a Date would be built for nothing.
const INT8_OID = 20
const TIMESTAMPTZ_OID = 1184
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    format === "binary"
      ? pg.types.getTypeParser(oid, format)
      : oid === INT8_OID
      ? Number
      : oid === TIMESTAMPTZ_OID
      ? timestampFromPostgres
      : pg.types.getTypeParser(oid, format as never)) as never
}

const postgresCode = (error: SqlError.SqlError): string | undefined =>
  error.cause instanceof pg.DatabaseError ? error.cause.code : undefined

const connectionCodes = new Set(["57P01", "57P02", "57P03", "53300", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EPIPE"])

// pg's own words for a connection that is gone or was closed under a statement; they carry no code.
const connectionLost = new Set([
  "Connection terminated",
  "Connection terminated unexpectedly",
  "Client was closed and is not queryable",
  "Client has encountered a connection error and is not queryable",
  "Cannot use a pool after calling end on the pool"
])

/** Describes why a connection failed without echoing SQL or credentials. */
export const describeCause = (error: SqlError.SqlError): string => {
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined
  const detail = typeof cause?.message === "string" && cause.message.length > 0 ? cause.message : error.message
  return typeof cause?.code === "string" ? `${detail} (${cause.code})` : detail
}

export const isConnectionError = (error: SqlError.SqlError): boolean => {
  if (error.message === "Failed to acquire connection" || error.message === "Connection error") return true
  if (error.cause instanceof Error && connectionLost.has(error.cause.message)) return true
  const code = postgresCode(error) ?? (error.cause as { code?: unknown } | undefined)?.code
  return typeof code === "string" && (code.startsWith("08") || connectionCodes.has(code))
}

// Bad credentials or a database that does not exist will not fix themselves: fail at once.
const isPermanentConnectError = (error: SqlError.SqlError): boolean => {
  const code = postgresCode(error)
  return code !== undefined && (code.startsWith("28") || code === "3D000")
}

/** `%text%` for ILIKE, with the text's own `%`, `_` and `\` matched literally. */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/** SQL true when the person of profile row `p` is on the suppression list, by handle or by stable id. */
export const suppressedSql = `EXISTS (SELECT 1 FROM social_suppressions s WHERE s.platform = p.platform
  AND (lower(s.handle) = lower(p.handle) OR s.external_id = p.external_id))`

/**
 * A database error nobody expected (a bug, or a schema changed by hand), described by what PostgreSQL says
 * about it without any of the values involved: its SQLSTATE and the constraint, table and column it names.
 * PostgreSQL's own message is left out, since it can quote the offending value.
 */
export class UnexpectedDatabaseError extends Data.TaggedError("UnexpectedDatabaseError")<{ readonly message: string }> {
  static readonly from = (error: SqlError.SqlError) => {
    const cause = error.cause
    if (!(cause instanceof pg.DatabaseError)) return new UnexpectedDatabaseError({ message: `${error.message}: ${describeCause(error)}` })
    const where = [
      cause.constraint !== undefined ? `constraint ${cause.constraint}` : undefined,
      cause.table !== undefined ? `table ${cause.table}` : undefined,
      cause.column !== undefined ? `column ${cause.column}` : undefined
    ].filter((part) => part !== undefined)
    return new UnexpectedDatabaseError({
      message: `${error.message}: SQLSTATE ${cause.code ?? "unknown"}${where.length > 0 ? ` (${where.join(", ")})` : ""}`
    })
  }
}

/** Our tables that do not exist in the current schema right now. */
export const missingTables = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ name: string }>`
    SELECT name FROM unnest(string_to_array(${SocialTables.join(",")}, ',')) AS name
    WHERE to_regclass(quote_ident(current_schema()) || '.' || name) IS NULL
    ORDER BY name`
  return rows.map((row) => row.name)
})

/**
 * The one place a database failure becomes a domain error: a missing table of ours is `TablesMissing`,
 * a lost connection or a database that did not answer in time is `DatabaseUnavailable`, and anything else
 * is a bug, left as a defect for the HTTP edge to log under the request id.
 */
export const mapSqlError = (error: SqlError.SqlError) =>
  Effect.gen(function*() {
    if (error.cause instanceof DatabaseTimeout) {
      return yield* new DatabaseUnavailable({ message: `${error.cause.message}. Retry shortly.` })
    }
    if (postgresCode(error) === "57014") {
      return yield* new DatabaseUnavailable({ message: "The database cancelled the statement. Retry shortly." })
    }
    if (isConnectionError(error)) {
      return yield* new DatabaseUnavailable({ message: "The database is not reachable right now. Retry shortly." })
    }
    if (postgresCode(error) === "42P01") {
      const client = yield* Effect.serviceOption(SqlClient.SqlClient)
      const missing = Option.isSome(client)
        ? yield* missingTables.pipe(
          Effect.provideService(SqlClient.SqlClient, client.value),
          Effect.orElseSucceed((): ReadonlyArray<string> => [])
        )
        : []
      const named = SocialTables.filter((table) => String.includes(`"${table}"`)(describeCause(error)))
      const tables = missing.length > 0 ? missing : named
      if (tables.length > 0) return yield* TablesMissing.of(tables)
    }
    return yield* Effect.die(UnexpectedDatabaseError.from(error))
  })

/**
 * `withTransaction` makes a failed COMMIT or ROLLBACK a defect (a frozen or restarting database fails them).
 * For a loop that must outlive the database failing under it, that is a database failure like any other:
 * mapped the same way, so the loop backs off and resumes instead of dying.
 */
export const recoverSqlDefects = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchSomeDefect(effect, (defect) =>
    defect instanceof SqlError.SqlError ? Option.some(mapSqlError(defect)) : Option.none())

const pgClient = (options: Omit<PoolOptions, "applicationName" | "types">) =>
  PgClient.layerFromPool({
    acquire: makePool({ ...options, applicationName: "social-outreach", types }),
    transformQueryNames: String.camelToSnake,
    transformResultNames: String.snakeToCamel
  })

const hostOf = (url: Redacted.Redacted) => {
  try {
    const parsed = new URL(Redacted.value(url))
    return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`
  } catch {
    return "the configured server"
  }
}

const sqlLayer = (options: { readonly boundStatements: boolean }) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const config = yield* AppConfig
    const external = Option.isSome(config.databaseUrl)
    const url = Option.isSome(config.databaseUrl)
      ? config.databaseUrl.value
      : yield* EmbeddedPostgres.start(config.pgliteDataDir)
    // PGlite is a single session: a second connection would interleave its transactions with the first.
    const maxConnections = external ? config.databasePoolMax : 1
    const target = external ? hostOf(url) : `embedded PGlite at ${config.pgliteDataDir}`
    const attempts = config.databaseConnectRetries + 1
    // Registered before the pool, so it runs once the pool has closed.
    yield* Effect.addFinalizer(() => Effect.logInfo(`Database connections closed (${target})`))
    let attempt = 0
    return pgClient({
      url,
      maxConnections,
      connectTimeout: config.databaseConnectTimeout,
      // PGlite runs inside this process (it cannot stop answering on its own) and ignores statement_timeout.
      statementTimeout: external && options.boundStatements ? Option.some(config.databaseStatementTimeout) : Option.none()
    }).pipe(
      Layer.tapError((error) => {
        attempt++
        return attempt < attempts && !isPermanentConnectError(error)
          ? Effect.logWarning(`Database ${target} not reachable (attempt ${attempt} of ${attempts}): ${describeCause(error)}`)
          : Effect.void
      }),
      Layer.retry(
        Schedule.exponential("500 millis").pipe(
          Schedule.union(Schedule.spaced("8 seconds")),
          Schedule.intersect(Schedule.recurs(config.databaseConnectRetries)),
          Schedule.whileInput((error: SqlError.SqlError) => !isPermanentConnectError(error))
        )
      ),
      Layer.mapError((error) =>
        new DatabaseUnavailable({
          message: `Could not connect to the database (${target}) after ${attempt} attempt(s): ${describeCause(error)}`
        })
      ),
      Layer.tap(() => Effect.logInfo(`Connected to ${target} (pool of ${maxConnections})`))
    )
  }))

/**
 * The SQL client: PostgreSQL at `DATABASE_URL` (its `sslmode` honoured), or else an embedded PGlite served
 * on loopback. A server that is not up yet is retried with a bounded backoff, each attempt logged. Every
 * statement is bounded by `DATABASE_STATEMENT_TIMEOUT`, except in a transaction that lifts it (migrations).
 */
export const SqlLive = sqlLayer({ boundStatements: true })

/** The same client without the statement bound, for the migrate command: an operator waits for the database. */
export const SqlUnboundedLive = sqlLayer({ boundStatements: false })
