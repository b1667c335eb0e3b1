import {
  HttpApiBuilder,
  HttpApiSwagger,
  HttpApp,
  HttpServer,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import type { SqlError } from "@effect/sql"
import { Cause, Effect, FiberRef, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"
import { Api } from "./Api.js"
import { AuthorizationLive } from "./Auth/Http.js"
import { AppConfig } from "./Config.js"
import { Discovery } from "./Discovery.js"
import { HttpDiscoveryLive } from "./Discovery/Http.js"
import { BadRequest, InternalServerError, RouteNotFound } from "./Domain/Server.js"
import { Drafts } from "./Drafts.js"
import { HttpDraftsLive } from "./Drafts/Http.js"
import { Health } from "./Health.js"
import { Messages } from "./Messages.js"
import { HttpMessagesLive } from "./Messages/Http.js"
import { HttpHealthLive } from "./Health/Http.js"
import { MigratedDatabase } from "./Sql/Migrator.js"
import { Profiles } from "./Profiles.js"
import { HttpProfilesLive } from "./Profiles/Http.js"
import { mapSqlError } from "./Sql.js"
import { Suppressions } from "./Suppressions.js"
import { HttpSuppressionsLive } from "./Suppressions/Http.js"
import { WebLive } from "./Web.js"

export const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide([HttpDiscoveryLive, HttpProfilesLive, HttpDraftsLive, HttpMessagesLive, HttpSuppressionsLive, HttpHealthLive]),
  Layer.provide(AuthorizationLive)
)

const RequestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

/** The id of the request being served, set by `observe` and read wherever a failure must be reported. */
export const CurrentRequestId = FiberRef.unsafeMake("")

const requestIdOf = (request: HttpServerRequest.HttpServerRequest) => {
  const given = request.headers["x-request-id"]
  return given !== undefined && RequestIdPattern.test(given) ? given : randomUUID()
}

const json = (body: unknown, status: number) => HttpServerResponse.unsafeJson(body, { status })

const internalError = (cause: Cause.Cause<unknown>) =>
  Effect.gen(function*() {
    const requestId = yield* FiberRef.get(CurrentRequestId)
    yield* Effect.logError("Unhandled failure", cause)
    return json(InternalServerError.of(requestId), 500)
  })

const isSqlError = (error: unknown): error is SqlError.SqlError =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "SqlError"

/**
 * Bodies are judged by their declared length before a byte is read. A body without one (chunked) is
 * refused outright: the platform cuts such a stream off at the limit by destroying the connection,
 * which would leave the client with no answer at all.
 */
const refuseBody = (request: HttpServerRequest.HttpServerRequest, maxBodyBytes: number) => {
  const length = request.headers["content-length"]
  if (length === undefined) {
    return request.headers["transfer-encoding"] !== undefined
      ? Option.some("Send the request body with a Content-Length header; chunked bodies are not accepted")
      : Option.none()
  }
  return Number(length) > maxBodyBytes
    ? Option.some(`Request body is larger than the limit of ${maxBodyBytes} bytes`)
    : Option.none()
}

/**
 * The one place a failure that no endpoint declares becomes a response: unreadable input is a 400 that
 * says why, an unknown route a 404, and anything else (a bug) a 500 whose body carries only the request
 * id while the log carries the cause under the same id. Declared errors pass through to be encoded.
 */
const SettleFailures = Layer.unwrapEffect(Effect.map(AppConfig, ({ maxBodyBytes }) =>
  HttpApiBuilder.middleware(Api, (app) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      Option.match(refuseBody(request, maxBodyBytes), {
        onNone: () => app,
        onSome: (message) => Effect.succeed(json(new BadRequest({ message }), 400))
      })).pipe(
      Effect.catchAllCause((cause) => {
        if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
        const failure = Cause.failureOption(cause)
        if (Option.isSome(failure) && !HttpServerError.isServerError(failure.value)) return Effect.failCause(cause)
        const error = Option.getOrElse(failure, () => Cause.squash(cause))
        if (HttpServerError.isServerError(error) && error._tag === "RouteNotFound") {
          const message = `No route for ${error.request.method} ${error.request.url.split("?")[0]}`
          return Effect.succeed(json(new RouteNotFound({ message }), 404))
        }
        // A database failure that escaped as a defect is still a database failure: 503, not 500.
        if (isSqlError(error)) return mapSqlError(error).pipe(Effect.catchAllDefect(() => internalError(cause)))
        if (HttpServerError.isServerError(error) && error._tag === "RequestError") {
          const message = error.reason === "Decode" ? "Request body is not valid JSON" : "Request could not be read"
          return Effect.succeed(json(new BadRequest({ message }), 400))
        }
        return internalError(cause)
      })
    )
  )
))

/** Gives each request an id (honouring a sane incoming `x-request-id`), `Retry-After` on 503s, and one log line. */
const observe = (retryAfterSeconds: number) => <E, R>(app: HttpApp.Default<E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const requestId = requestIdOf(request)
    const started = performance.now()
    // Stays 499 only when the client went away before any response was made.
    let status = 499
    return HttpApp.appendPreResponseHandler((_, response) => {
      status = response.status
      return Effect.succeed(HttpServerResponse.setHeaders(response, {
        "x-request-id": requestId,
        ...(response.status === 503 ? { "retry-after": String(retryAfterSeconds) } : {})
      }))
    }).pipe(
      Effect.zipRight(Effect.locally(app, CurrentRequestId, requestId)),
      Effect.onExit(() => {
        const path = request.url.split("?")[0]
        const durationMs = Math.round((performance.now() - started) * 100) / 100
        return Effect.logInfo(`${request.method} ${path} ${status}`).pipe(
          Effect.annotateLogs({ method: request.method, path, status, durationMs })
        )
      }),
      Effect.annotateLogs("requestId", requestId)
    )
  })

/** The API as an HTTP app with its docs, on whatever `HttpServer` and domain services are provided. */
export const HttpApiLive = Layer.unwrapEffect(
  Effect.map(AppConfig, (config) =>
    HttpApiBuilder.serve(observe(config.retryAfterSeconds)).pipe(
      Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
      Layer.provide(WebLive),
      Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
      Layer.provide(SettleFailures),
      Layer.provide(ApiLive)
    ))
)

export const HttpLive = HttpApiLive.pipe(
  Layer.provide([Discovery.Default, Profiles.Default, Drafts.Default, Messages.Default, Suppressions.Default, Health.Default])
)

/**
 * The Node server binds its port only once `MigratedDatabase` exists, that is after the schema was
 * migrated and verified: there is no way to serve a request on an unmigrated database.
 */
export const ServerLive = Layer.unwrapScoped(
  Effect.gen(function*() {
    yield* MigratedDatabase
    const { host, port } = yield* AppConfig
    // Registered before the server, so it runs after the server has closed and in-flight requests are done.
    yield* Effect.addFinalizer(() => Effect.logInfo("HTTP server stopped"))
    return NodeHttpServer.layer(createServer, { host, port }).pipe(HttpServer.withLogAddress)
  })
)
