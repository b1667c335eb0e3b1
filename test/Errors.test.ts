import { SqlError } from "@effect/sql"
import { expect, it, layer } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Ref, Schema } from "effect"
import pg from "pg"
import { Audit } from "../src/Audit.js"
import { Erasure } from "../src/Erasure.js"
import { SuppressionKeyMissing } from "../src/Domain/Erasure.js"
import { HostRefused } from "../src/Domain/Outbound.js"
import { AppConfig } from "../src/Config.js"
import { Discovery } from "../src/Discovery.js"
import { DatabaseUnavailable, SocialTables, TablesMissing } from "../src/Domain/Database.js"
import { DiscoveryJobFinished, DiscoveryJobNotFound } from "../src/Domain/DiscoveryJob.js"
import { ProfileNotFound } from "../src/Domain/Profile.js"
import { DraftConflict, DraftInvalid, DraftNotFound, TemplateInvalid } from "../src/Domain/Draft.js"
import { ImportRejected } from "../src/Domain/Import.js"
import { ChannelNotConfigured, MessageConflict, MessageNotFound, SendRefused } from "../src/Domain/Message.js"
import {
  BadRequest,
  InternalServerError,
  PayloadTooLarge,
  RouteNotFound,
  ShuttingDown,
  Unauthorized,
  Unprocessable,
  UnsupportedMediaType
} from "../src/Domain/Server.js"
import { SuppressionNotFound, SuppressionProtected } from "../src/Domain/Suppression.js"
import { Drafts } from "../src/Drafts.js"
import { Health } from "../src/Health.js"
import { Messages } from "../src/Messages.js"
import { HttpApiLive, ServerTest } from "../src/Http.js"
import { Lifecycle } from "../src/Lifecycle.js"
import { SchemaState } from "../src/Sql/SchemaState.js"
import { LoggingLive } from "../src/Logging.js"
import { Profiles } from "../src/Profiles.js"
import { mapSqlError } from "../src/Sql.js"
import { DatabaseTimeout } from "../src/Sql/Pool.js"
import { Suppressions } from "../src/Suppressions.js"
import { call } from "./support/App.js"

// The contract: each declared error, the status a client sees for it.
const statusOf = {
  TablesMissing: 503,
  DatabaseUnavailable: 503,
  ProfileNotFound: 404,
  DiscoveryJobNotFound: 404,
  Unauthorized: 401,
  BadRequest: 400,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  ShuttingDown: 503,
  Unprocessable: 422,
  InternalServerError: 500,
  RouteNotFound: 404,
  ImportRejected: 400,
  DraftNotFound: 404,
  DraftConflict: 409,
  DraftInvalid: 422,
  SuppressionNotFound: 404,
  SuppressionProtected: 409,
  MessageNotFound: 404,
  SendRefused: 409,
  DiscoveryJobFinished: 409,
  ChannelNotConfigured: 409,
  MessageConflict: 409,
  TemplateInvalid: 400,
  HostRefused: 400,
  SuppressionKeyMissing: 409
} as const

const DeclaredError = Schema.Union(
  TablesMissing,
  DatabaseUnavailable,
  ProfileNotFound,
  DiscoveryJobNotFound,
  Unauthorized,
  BadRequest,
  PayloadTooLarge,
  UnsupportedMediaType,
  ShuttingDown,
  Unprocessable,
  InternalServerError,
  RouteNotFound,
  ImportRejected,
  DraftNotFound,
  DraftConflict,
  DraftInvalid,
  SuppressionNotFound,
  SuppressionProtected,
  MessageNotFound,
  SendRefused,
  DiscoveryJobFinished,
  ChannelNotConfigured,
  MessageConflict,
  TemplateInvalid,
  HostRefused,
  SuppressionKeyMissing
)
type DeclaredError = typeof DeclaredError.Type

class Failure extends Effect.Service<Failure>()("test/Failure", {
  effect: Ref.make<DeclaredError>(new DatabaseUnavailable({ message: "unset" }))
}) {}

const failing = Effect.flatMap(Failure, Ref.get).pipe(Effect.flatMap(Effect.fail))

// The schema guard in front of /api, told the schema is complete: these tests are about what services fail with.
const SchemaComplete = Layer.succeed(SchemaState, new SchemaState({ missing: Effect.succeed([]), require: Effect.void, requireNow: Effect.void }))

// Every service the HTTP layer calls fails with whatever error the property put in `Failure`.
const FailingServices = Layer.mergeAll(
  Layer.effect(Profiles, Effect.map(Failure, (ref) => new Profiles({ get: () => Effect.flatMap(Ref.get(ref), Effect.fail), list: () => Effect.flatMap(Ref.get(ref), Effect.fail) } as never))),
  Layer.effect(Discovery, Effect.map(Failure, (ref) => new Discovery({ start: () => Effect.flatMap(Ref.get(ref), Effect.fail), get: () => Effect.flatMap(Ref.get(ref), Effect.fail) } as never))),
  Layer.succeed(Health, new Health({ ready: () => failing } as never)),
  Layer.succeed(Drafts, new Drafts({} as never)),
  Layer.succeed(Messages, new Messages({} as never)),
  Layer.succeed(Suppressions, new Suppressions({} as never)),
  Layer.succeed(Audit, new Audit({} as never)),
  Layer.succeed(Erasure, new Erasure({} as never))
)

const app = HttpApiLive.pipe(
  Layer.provide(FailingServices),
  Layer.provideMerge(Failure.Default),
  Layer.provide(SchemaComplete),
  Layer.provideMerge(ServerTest),
  Layer.provide(Lifecycle.Default),
  Layer.provide(LoggingLive),
  Layer.provide(AppConfig.fromMap({ LOG_LEVEL: "none" }))
)

layer(app, { excludeTestServices: true })("Declared errors through the real HTTP layer", (it) => {
  it.effect.prop(
    "every declared error answers with its status, Retry-After on 503, and a body that decodes back to it",
    { error: DeclaredError, route: Schema.Literal("/api/social/profiles/1", "/api/social/profiles", "/api/social/discover/1") },
    ({ error, route }) =>
      Effect.gen(function*() {
        yield* Ref.set(yield* Failure, error)
        const reply = yield* call("GET", route)
        expect(reply.status).toBe(statusOf[error._tag])
        expect(reply.headers["retry-after"]).toBe(reply.status === 503 ? "5" : undefined)
        expect(reply.headers["x-request-id"]).toBeDefined()
        expect(Schema.decodeUnknownSync(DeclaredError)(reply.body)).toEqual(error)
      }),
    { fastCheck: { numRuns: 150 } }
  )

  it.effect("readiness reports the same typed 503 body", () =>
    Effect.gen(function*() {
      yield* Ref.set(yield* Failure, TablesMissing.of(["social_drafts"]))
      const reply = yield* call("GET", "/health/ready")
      expect(reply.status).toBe(503)
      expect(reply.headers["retry-after"]).toBe("5")
      expect(reply.body).toMatchObject({ _tag: "TablesMissing", tables: ["social_drafts"] })
      expect(reply.body.message).toContain("npm run migrate")
    }))
})

const sqlError = (code: string, message: string) => {
  const cause = new pg.DatabaseError(message, 0, "error")
  cause.code = code
  return new SqlError.SqlError({ cause, message: "Failed to execute statement" })
}

it.effect.prop(
  "a database error is TablesMissing for our tables, DatabaseUnavailable for a lost connection, and a defect otherwise",
  {
    table: Schema.Literal(...SocialTables),
    connectionCode: Schema.Literal("08000", "08003", "08006", "57P01", "57P02", "57P03", "53300", "57014"),
    otherCode: Schema.Literal("23505", "23503", "22P02", "42703", "40001", "XX000"),
    other: Schema.String
  },
  ({ connectionCode, other, otherCode, table }) =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(mapSqlError(sqlError("42P01", `relation "${table}" does not exist`)))
      expect(missing).toEqual(TablesMissing.of([table]))
      const down = yield* Effect.flip(mapSqlError(sqlError(connectionCode, other)))
      expect(down._tag).toBe("DatabaseUnavailable")
      expect(down.message).not.toContain(other.length > 3 ? other : "\u0000")
      const bug = yield* Effect.exit(mapSqlError(sqlError(otherCode, `value «${other}»`)))
      expect(Exit.isFailure(bug) && bug.cause._tag).toBe("Die")
      // Logged by its SQLSTATE, never with PostgreSQL's message (which can quote the values).
      const defect = Exit.isFailure(bug) && bug.cause._tag === "Die" ? bug.cause.defect as Error : undefined
      expect(defect?.message).toContain(`SQLSTATE ${otherCode}`)
      expect(defect?.message).not.toContain("«")
      const notOurs = yield* Effect.exit(mapSqlError(sqlError("42P01", `relation "x${table}" does not exist`)))
      expect(Exit.isFailure(notOurs) && notOurs.cause._tag).toBe("Die")
    })
)

it.effect("a database that did not answer in time, or whose connection is gone, is DatabaseUnavailable saying so", () =>
  Effect.gen(function*() {
    const failed = (cause: Error) =>
      Effect.flip(mapSqlError(new SqlError.SqlError({ cause, message: "Failed to execute statement" })))
    expect(yield* failed(new DatabaseTimeout("statement", Duration.seconds(5)))).toEqual(
      new DatabaseUnavailable({ message: "The database did not answer within 5 s. Retry shortly." })
    )
    expect(yield* failed(new DatabaseTimeout("connection", Duration.millis(1500)))).toEqual(
      new DatabaseUnavailable({ message: "The database did not give a connection within 1.5 s. Retry shortly." })
    )
    for (const message of ["Connection terminated unexpectedly", "Client was closed and is not queryable"]) {
      expect((yield* failed(new Error(message)))._tag).toBe("DatabaseUnavailable")
    }
  }))

// A bug (a defect) and a database failure that escaped as a defect, through the same HTTP layer.
const Defects = HttpApiLive.pipe(
  Layer.provide(Layer.mergeAll(
    Layer.succeed(Profiles, new Profiles({ get: () => Effect.die(new Error("SELECT secret FROM accounts")), list: () => Effect.die("boom") } as never)),
    Layer.succeed(Discovery, new Discovery({ get: () => Effect.die(sqlError("08006", "connection failure")), start: () => Effect.die("boom") } as never)),
    Layer.succeed(Health, new Health({ ready: () => Effect.void } as never)),
    Layer.succeed(Drafts, new Drafts({} as never)),
    Layer.succeed(Messages, new Messages({} as never)),
    Layer.succeed(Suppressions, new Suppressions({} as never)),
    Layer.succeed(Audit, new Audit({} as never)),
    Layer.succeed(Erasure, new Erasure({} as never))
  )),
  Layer.provide(SchemaComplete),
  Layer.provideMerge(ServerTest),
  Layer.provide(Lifecycle.Default),
  Layer.provide(LoggingLive),
  Layer.provide(AppConfig.fromMap({ LOG_LEVEL: "none" }))
)

layer(Defects, { excludeTestServices: true })("Failures nobody declared", (it) => {
  it.effect("a bug is a 500 whose body names only the request id, the same as the response header", () =>
    Effect.gen(function*() {
      const reply = yield* call("GET", "/api/social/profiles/1", { headers: { "x-request-id": "req-123" } })
      expect(reply.status).toBe(500)
      expect(reply.headers["x-request-id"]).toBe("req-123")
      expect(reply.body).toEqual({ _tag: "InternalServerError", requestId: "req-123", message: expect.stringContaining("req-123") })
      expect(JSON.stringify(reply.body)).not.toContain("SELECT")
    }))

  it.effect("a lost database connection that escaped as a defect is still a 503 DatabaseUnavailable", () =>
    Effect.gen(function*() {
      const reply = yield* call("GET", "/api/social/discover/1")
      expect(reply.status).toBe(503)
      expect(reply.headers["retry-after"]).toBe("5")
      expect(reply.body._tag).toBe("DatabaseUnavailable")
    }))
})
