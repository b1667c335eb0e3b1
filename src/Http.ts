import {
  HttpApiBuilder,
  HttpApiError,
  HttpApiSchema,
  HttpApiSecurity,
  HttpApiSwagger,
  HttpApp,
  HttpMiddleware,
  HttpServer,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import type { SqlError } from "@effect/sql"
import { Cause, Effect, Either, FiberRef, HashMap, Layer, LogLevel, Option, Schema } from "effect"
import { randomUUID } from "node:crypto"
import { Api, SchemaReady } from "./Api.js"
import { Audit } from "./Audit.js"
import { HttpAuditLive } from "./Audit/Http.js"
import { Authorization } from "./Auth/Api.js"
import { AuthorizationLive } from "./Auth/Http.js"
import { AppConfig } from "./Config.js"
import { Discovery } from "./Discovery.js"
import { HttpDiscoveryLive } from "./Discovery/Http.js"
import {
  BadRequest,
  InternalServerError,
  PayloadTooLarge,
  RouteNotFound,
  UnsupportedMediaType
} from "./Domain/Server.js"
import { Drafts } from "./Drafts.js"
import { HttpDraftsLive } from "./Drafts/Http.js"
import { Erasure } from "./Erasure.js"
import { HttpErasureLive } from "./Erasure/Http.js"
import { Health } from "./Health.js"
import { HttpHealthLive } from "./Health/Http.js"
import { json } from "./Http/Json.js"
import * as Screen from "./Http/Screen.js"
import * as Server from "./Http/Server.js"
import { Messages } from "./Messages.js"
import { HttpMessagesLive } from "./Messages/Http.js"
import { Profiles } from "./Profiles.js"
import { HttpProfilesLive } from "./Profiles/Http.js"
import { type DatabaseUnavailable, TablesMissing } from "./Domain/Database.js"
import { mapSqlError } from "./Sql.js"
import { MigratedDatabase } from "./Sql/Migrator.js"
import { SchemaState } from "./Sql/SchemaState.js"
import { textProblem } from "./Domain/Text.js"
import { Suppressions } from "./Suppressions.js"
import { HttpSuppressionsLive } from "./Suppressions/Http.js"
import { WebLive } from "./Web.js"

/** Every `/api` request first needs the schema to be complete: a table that vanished is a 503 on every endpoint. */
const SchemaReadyLive = Layer.effect(SchemaReady, Effect.map(SchemaState, (schema) => schema.require))

export const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide([HttpDiscoveryLive, HttpProfilesLive, HttpDraftsLive, HttpMessagesLive, HttpSuppressionsLive, HttpErasureLive, HttpAuditLive, HttpHealthLive]),
  Layer.provide([AuthorizationLive, SchemaReadyLive])
)

const RequestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

/** The id of the request being served, set by `observe` and read wherever a failure must be reported. */
export const CurrentRequestId = FiberRef.unsafeMake("")

const requestIdOf = (request: HttpServerRequest.HttpServerRequest) => {
  const given = request.headers["x-request-id"]
  return given !== undefined && RequestIdPattern.test(given) ? given : randomUUID()
}

const internalError = (cause: Cause.Cause<unknown>) =>
  Effect.gen(function*() {
    const requestId = yield* FiberRef.get(CurrentRequestId)
    yield* Effect.logError("Unhandled failure", cause)
    return json(InternalServerError.of(requestId), 500)
  })

const isSqlError = (error: unknown): error is SqlError.SqlError =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "SqlError"

const routes = Screen.routesOf(Api)

/**
 * The request as the edge sees it before any endpoint does. A body is judged by its declared length before
 * a byte is read (a chunked one, with no length, is refused: the platform would cut it off by destroying
 * the connection), then by its media type, then its content: JSON nested too deep, or text PostgreSQL
 * cannot store, is a 400 naming where it is, so no endpoint ever decodes it. On a route behind the token,
 * a caller without a valid one is left to the API's `401` before anything of the body is looked at.
 */
const screen = (
  request: HttpServerRequest.HttpServerRequest,
  limits: { readonly body: number; readonly import: number },
  authorization: typeof Authorization.Service
) =>
  Effect.gen(function*() {
    const length = request.headers["content-length"]
    const chunked = request.headers["transfer-encoding"] !== undefined
    // Most requests carry no body: nothing to screen, and no route to look up.
    if (!chunked && (length === undefined || Number(length) === 0)) return Option.none()
    const route = Screen.findRoute(routes, request.method, request.url.split("?")[0]!)
    if (route === undefined) return Option.none()
    if (route.secured) {
      const token = yield* HttpApiBuilder.securityDecode(HttpApiSecurity.bearer)
      if (Either.isLeft(yield* Effect.either(authorization.bearer(token)))) return Option.none()
    }
    if (chunked) {
      return Option.some(json(
        new BadRequest({ message: "Send the request body with a Content-Length header; chunked bodies are not accepted" }),
        400
      ))
    }
    if (route.accepts.size === 0) {
      // A stray body is refused before anything runs; `{}` or `null` from a client that always sends one is fine.
      const text = Number(length) <= 16 ? (yield* request.text).trim() : "…"
      return text === "" || text === "{}" || text === "null"
        ? Option.none()
        : Option.some(json(new BadRequest({ message: `${route.method} ${route.path} takes no request body` }), 400))
    }
    const type = Screen.mediaType(request.headers["content-type"])
    if (type === undefined || !route.accepts.has(type)) {
      const accepted = [...route.accepts].join(" or ")
      return Option.some(json(
        new UnsupportedMediaType({
          message: `${type === undefined ? "A body without Content-Type" : `Content-Type ${type}`} is not accepted here: send ${accepted}`
        }),
        415
      ))
    }
    const [limit, setting] = route.importBody ? [limits.import, "MAX_IMPORT_BYTES"] : [limits.body, "MAX_BODY_BYTES"]
    if (Number(length) > limit) {
      return Option.some(json(
        new PayloadTooLarge({ message: `Request body is larger than the limit of ${limit} bytes (${setting})` }),
        413
      ))
    }
    const text = yield* request.text
    let problem: string | undefined
    if (type === "application/json") {
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        return Option.some(json(new BadRequest({ message: "Request body is not valid JSON" }), 400))
      }
      problem = Screen.jsonProblem(value)
    } else {
      problem = Option.fromNullable(textProblem(text)).pipe(Option.map((p) => `body: ${p}`), Option.getOrUndefined)
    }
    return problem === undefined ? Option.none() : Option.some(json(new BadRequest({ message: problem }), 400))
  })

/**
 * The one place requests and failures meet HTTP: unreadable or unacceptable input is answered before an
 * endpoint runs, a decode failure is said in one short line per field, an unknown route is a 404, a
 * database failure that escaped as a defect is still a 503, and anything else (a bug) is a 500 whose body
 * carries only the request id while the log carries the cause under the same id. Declared errors pass
 * through to be encoded with their status.
 */
const Edge = Layer.unwrapEffect(Effect.gen(function*() {
  const { maxBodyBytes, maxImportBytes } = yield* AppConfig
  const authorization = yield* Authorization
  return HttpApiBuilder.middleware(Api, (app) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const refused = yield* screen(request, { body: maxBodyBytes, import: maxImportBytes }, authorization)
      return Option.isSome(refused) ? refused.value : yield* app
    }).pipe(Effect.catchAllCause(settle)))
})).pipe(Layer.provide(AuthorizationLive))

// A schema without its tables fails every request with one shared error (Sql/SchemaState.ts): its body is
// encoded once, not matched against every error the API declares on each request.
const tablesMissingBodies = new WeakMap<TablesMissing, HttpServerResponse.HttpServerResponse>()
const encodeTablesMissing = Schema.encodeSync(TablesMissing)
const tablesMissing = (error: TablesMissing) => {
  const known = tablesMissingBodies.get(error)
  if (known !== undefined) return known
  const response = json(encodeTablesMissing(error), HttpApiSchema.getStatusError(TablesMissing))
  tablesMissingBodies.set(error, response)
  return response
}

const settle = (
  cause: Cause.Cause<unknown>
): Effect.Effect<HttpServerResponse.HttpServerResponse, HttpApiError.HttpApiDecodeError | TablesMissing | DatabaseUnavailable> => {
  // Declared errors (all the API's errors) are encoded by the builder; only their type is unknown here.
  const passThrough = Effect.failCause(cause as Cause.Cause<never>)
  if (Cause.isInterruptedOnly(cause)) return passThrough
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure) && failure.value instanceof HttpApiError.HttpApiDecodeError) {
    const { issues } = failure.value
    return Effect.fail(new HttpApiError.HttpApiDecodeError({ issues, message: Screen.summarize(issues) }))
  }
  if (Option.isSome(failure) && failure.value instanceof TablesMissing) return Effect.succeed(tablesMissing(failure.value))
  if (Option.isSome(failure) && !HttpServerError.isServerError(failure.value)) return passThrough
  const error = Option.getOrElse(failure, () => Cause.squash(cause))
  if (HttpServerError.isServerError(error) && error._tag === "RouteNotFound") {
    const message = `No route for ${error.request.method} ${error.request.url.split("?")[0]}`
    return Effect.succeed(json(new RouteNotFound({ message }), 404))
  }
  if (isSqlError(error)) return mapSqlError(error).pipe(Effect.catchAllDefect(() => internalError(cause)))
  if (HttpServerError.isServerError(error) && error._tag === "RequestError") {
    const message = error.reason === "Decode" ? "Request body is not valid JSON" : "Request could not be read"
    return Effect.succeed(json(new BadRequest({ message }), 400))
  }
  return internalError(cause)
}

/**
 * Marks the request's fiber with its id, for the failure report and every log line written while serving
 * it. Each request runs in a fiber of its own that ends with it, so the marks are set, not scoped: nothing
 * runs after the request that they would need to be taken back from, and restoring them costs a tenth of a
 * millisecond per request.
 */
const markRequest = (requestId: string) =>
  FiberRef.set(CurrentRequestId, requestId).pipe(
    Effect.zipRight(FiberRef.update(FiberRef.currentLogAnnotations, HashMap.set<string, unknown>("requestId", requestId)))
  )

/**
 * Gives each request an id (honouring a sane incoming `x-request-id`), `Retry-After` on 503s, and one log
 * line unless the log level leaves info out; at that level nothing of the line is built.
 */
const observe = (options: { readonly retryAfterSeconds: number; readonly logRequests: boolean }) =>
<E, R>(app: HttpApp.Default<E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const requestId = requestIdOf(request)
    const started = options.logRequests ? performance.now() : 0
    // Stays 499 only when the client went away before any response was made.
    let status = 499
    const served = markRequest(requestId).pipe(
      Effect.zipRight(HttpApp.appendPreResponseHandler((_, response) => {
        status = response.status
        return Effect.succeed(HttpServerResponse.setHeaders(
          response,
          response.status === 503
            ? { "x-request-id": requestId, "retry-after": String(options.retryAfterSeconds) }
            : { "x-request-id": requestId }
        ))
      })),
      Effect.zipRight(app)
    )
    if (!options.logRequests) return served
    return Effect.onExit(served, () => {
      const path = request.url.split("?")[0]
      const durationMs = Math.round((performance.now() - started) * 100) / 100
      return Effect.logInfo(`${request.method} ${path} ${status}`).pipe(
        Effect.annotateLogs({ method: request.method, path, status, durationMs })
      )
    })
  })

/** The API as an HTTP app with its docs, on whatever `HttpServer` and domain services are provided. */
export const HttpApiLive = Layer.unwrapEffect(
  Effect.map(AppConfig, (config) =>
    HttpApiBuilder.serve(observe({
      retryAfterSeconds: config.retryAfterSeconds,
      logRequests: LogLevel.lessThanEqual(config.logLevel, LogLevel.Info)
    })).pipe(
      // No tracing backend is wired: a span per request, with its URL parsed and headers copied, went nowhere.
      HttpMiddleware.withTracerDisabledWhen(() => true),
      Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
      Layer.provide(WebLive),
      Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
      Layer.provide(Edge),
      Layer.provide(ApiLive)
    ))
)

export const HttpLive = HttpApiLive.pipe(
  Layer.provide([
    Discovery.Default,
    Profiles.Default,
    Drafts.Default,
    Messages.Default,
    Suppressions.Default,
    Erasure.Default,
    Audit.Default,
    Health.Default
  ]),
  Layer.provide(SchemaState.Default)
)

/**
 * The Node server binds its port only once `MigratedDatabase` exists, that is after the schema was
 * migrated and verified: there is no way to serve a request on an unmigrated database.
 */
export const ServerLive = Layer.unwrapScoped(
  Effect.gen(function*() {
    yield* MigratedDatabase
    const { host, openApi, port } = yield* AppConfig
    if (openApi) {
      yield* Effect.logWarning(
        host === "127.0.0.1"
          ? "Neither API_TOKEN nor API_TOKENS is set: the API is open, so it listens on 127.0.0.1 only (this machine)"
          : `Neither API_TOKEN nor API_TOKENS is set and ALLOW_OPEN_API=true: /api is open to anyone who can reach ${host}:${port}`
      )
    }
    // Registered before the server, so it runs after the server has closed and in-flight requests are done.
    yield* Effect.addFinalizer(() => Effect.logInfo("HTTP server stopped"))
    return Server.layer({ host, port }).pipe(HttpServer.withLogAddress)
  })
)

/** The real server on a random loopback port with a client for it, for tests. */
export const ServerTest = Server.layerTest

