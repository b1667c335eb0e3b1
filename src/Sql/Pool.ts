import { SqlError } from "@effect/sql/SqlError"
import { Duration, Effect, Option, Redacted } from "effect"
import pg from "pg"

const formatted = (duration: Duration.Duration) => {
  const ms = Duration.toMillis(duration)
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(2))} s` : `${ms} ms`
}

/** The database did not answer within one of our bounds: a statement, or a connection from the pool. */
export class DatabaseTimeout extends Error {
  constructor(readonly waitingFor: "statement" | "connection", readonly after: Duration.Duration, options?: ErrorOptions) {
    super(
      waitingFor === "statement"
        ? `The database did not answer within ${formatted(after)}`
        : `The database did not give a connection within ${formatted(after)}`,
      options
    )
  }
}

// How much longer than the server's own statement timeout the client waits: the server normally cancels first
// (the connection stays usable); the client's bound is for a server that cannot answer at all.
const ClientGrace = Duration.seconds(1)

// The one statement that lifts the bound, for a transaction that may run long (migrations): it lifts the
// server's `statement_timeout` for the transaction, and the client's deadline until the connection is released.
const LiftBound = /^\s*SET\s+LOCAL\s+statement_timeout\s*(?:=|TO)\s*'?0'?\s*;?\s*$/i

export interface PoolOptions {
  readonly url: Redacted.Redacted
  readonly maxConnections: number
  /** Opening a connection, and waiting for a free one. */
  readonly connectTimeout: Duration.Duration
  /** Each statement; none: no bound at all (the embedded database, the migrate command). */
  readonly statementTimeout: Option.Option<Duration.Duration>
  readonly applicationName: string
  readonly types: pg.CustomTypesConfig
}

/**
 * A `pg.Client` whose every statement has a deadline. A statement still unanswered at its deadline fails with
 * `DatabaseTimeout`, and its connection is closed at once: a connection that still owes an answer must never
 * carry the next statement. `owed` counts statements sent and not answered, for the pool's release check.
 */
const boundedClient = (deadline: Duration.Duration, statementTimeout: Duration.Duration) =>
  class BoundedClient extends pg.Client {
    owed = 0
    lifted = false

    override query(...args: Array<any>): any {
      const at = args.findIndex((arg) => typeof arg === "function")
      if (at < 0) return (super.query as (...args: Array<any>) => any)(...args)
      const callback = args[at] as (error: Error | null | undefined, result?: unknown) => void
      const text: unknown = typeof args[0] === "string" ? args[0] : args[0]?.text
      const lifts = typeof text === "string" && LiftBound.test(text)
      const bounded = !this.lifted
      let settled = false
      this.owed++
      const timer = bounded
        ? setTimeout(() => {
          if (settled) return
          settled = true
          this.owed--
          // end() destroys the socket of a client with a statement in flight; the pool then drops the client.
          void this.end().catch(() => undefined)
          callback(new DatabaseTimeout("statement", deadline))
        }, Duration.toMillis(deadline))
        : undefined
      args[at] = (error: (Error & { code?: string }) | null | undefined, result?: unknown) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.owed--
        if (!error && lifts) this.lifted = true
        callback(
          error?.code === "57014" && bounded ? new DatabaseTimeout("statement", statementTimeout, { cause: error }) : error,
          result
        )
      }
      return (super.query as (...args: Array<any>) => any)(...args)
    }
  }

type BoundedClient = InstanceType<ReturnType<typeof boundedClient>>

const connectTimeoutMessages = new Set(["timeout exceeded when trying to connect", "Connection terminated due to connection timeout"])

/**
 * The pool behind the SQL client, with every wait bounded: opening a connection and waiting for a free one
 * (`connectTimeout`), and each statement (`statementTimeout` on the server, and on the client a second later
 * for a server that cannot answer at all: frozen, or cut off without a reset).
 */
export const makePool = (options: PoolOptions) =>
  Effect.gen(function*() {
    const connectTimeout = Math.max(1, Math.round(Duration.toMillis(options.connectTimeout)))
    const statement = Option.map(options.statementTimeout, (timeout) => Math.max(1, Math.round(Duration.toMillis(timeout))))

    class BoundedPool extends pg.Pool {
      override connect(...args: Array<any>): any {
        const translate = (error: Error) =>
          connectTimeoutMessages.has(error.message)
            ? new DatabaseTimeout("connection", options.connectTimeout, { cause: error })
            : error
        const callback = args[0]
        if (typeof callback !== "function") {
          return super.connect().catch((error: Error) => Promise.reject(translate(error)))
        }
        return super.connect((error, client, done) => callback(error ? translate(error) : error, client, done))
      }
    }

    const pool = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const pool = new BoundedPool({
          connectionString: Redacted.value(options.url),
          max: options.maxConnections,
          connectionTimeoutMillis: connectTimeout,
          application_name: options.applicationName,
          types: options.types,
          ...Option.match(statement, {
            onNone: () => ({}),
            onSome: (ms) => ({
              statement_timeout: ms,
              Client: boundedClient(Duration.millis(ms + Duration.toMillis(ClientGrace)), Duration.millis(ms))
            })
          })
        })
        // An idle connection that fails is dropped by the pool; the next statement opens a new one.
        pool.on("error", () => undefined)
        // A client given back while a statement is still in flight (its fiber was interrupted) is closed, not reused.
        pool.on("release", (_error, client) => {
          const bounded = client as unknown as Partial<BoundedClient>
          if ((bounded.owed ?? 0) > 0) void client.end().catch(() => undefined)
          if (bounded.lifted === true) bounded.lifted = false
        })
        return pool
      }),
      (pool) => Effect.promise(() => pool.end()).pipe(Effect.interruptible, Effect.timeoutOption(1000))
    )
    yield* Effect.tryPromise({
      try: () => pool.query("SELECT 1"),
      catch: (cause) => new SqlError({ cause, message: "PgClient: Failed to connect" })
    })
    return pool
  })
