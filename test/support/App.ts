import { HttpApiClient, HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { Agent, request } from "node:http"
import { Effect, Layer } from "effect"
import { Api } from "../../src/Api.js"
import { AppConfig } from "../../src/Config.js"
import { DiscoveryWorker } from "../../src/Discovery/Worker.js"
import { HttpLive, ServerTest } from "../../src/Http.js"
import { Lifecycle } from "../../src/Lifecycle.js"
import { MessageWorker } from "../../src/Messages/Worker.js"
import { LoggingLive } from "../../src/Logging.js"
import { DatabaseLive } from "../../src/Sql/Migrator.js"
import { type HostResolver, Resolver } from "../../src/Outbound.js"
import { freshDatabase } from "./Database.js"
import { testResolver } from "./Resolver.js"

/**
 * The whole service in-process (real HTTP stack on a random port), with the SQL client exposed to the test,
 * and the discovery workers when asked for.
 */
export interface AppOptions {
  readonly workers?: boolean
  readonly senders?: boolean
  /** Names the outbound guard resolves (tests have no DNS): by default `*.test` is 127.0.0.1, all else unknown. */
  readonly resolver?: HostResolver
}

export const appLayer = (config: Record<string, string>, options: AppOptions = {}) =>
  Layer.mergeAll(
    HttpLive.pipe(Layer.provideMerge(ServerTest)),
    options.workers ? DiscoveryWorker.Default : Layer.empty,
    options.senders ? MessageWorker.Default : Layer.empty
  ).pipe(
    Layer.provideMerge(DatabaseLive),
    Layer.provideMerge(Lifecycle.Default),
    Layer.provide(LoggingLive),
    Layer.provideMerge(AppConfig.fromMap({ LOG_LEVEL: "warn", ...config })),
    Layer.provide(Layer.succeed(Resolver, options.resolver ?? testResolver()))
  )

/** The service on a fresh PostgreSQL database of its own, dropped when the layer is released. */
export const pgAppLayer = (config: Record<string, string> = {}, options: AppOptions = {}) =>
  Layer.unwrapScoped(Effect.map(freshDatabase, ({ url }) => appLayer({ DATABASE_URL: url, ...config }, options)))

/**
 * The API's own typed client, derived from the same `HttpApi` the server implements, calling the test's
 * server: requests are encoded and answers decoded by the declared schemas, declared errors arrive as their
 * classes. Raw `call` stays for what a typed client cannot send (bad input, foreign media types).
 */
export const apiClient = HttpApiClient.make(Api)

export interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: any
}

/** A raw HTTP call, so tests see exactly the status, headers and body a client would. */
export const call = (
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH",
  path: string,
  options: { readonly body?: unknown; readonly raw?: string; readonly headers?: Record<string, string> } = {}
) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    let request = HttpClientRequest.make(method)(path).pipe(HttpClientRequest.setHeaders(options.headers ?? {}))
    if (options.raw !== undefined) request = HttpClientRequest.bodyText(request, options.raw, "application/json")
    else if (options.body !== undefined) request = HttpClientRequest.bodyText(request, JSON.stringify(options.body), "application/json")
    const response = yield* client.execute(request)
    const text = yield* response.text
    let body: unknown = text
    try {
      body = text.length > 0 ? JSON.parse(text) : undefined
    } catch {
      // not JSON (the docs page): keep the text
    }
    return { status: response.status, headers: response.headers, body } as Reply
  }).pipe(Effect.scoped, Effect.orDie)

const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 })

/** A request written byte for byte as given (no header added), for inputs a well-behaved client would never send. */
export const rawCall = (
  method: string,
  path: string,
  options: { readonly headers?: Record<string, string>; readonly body?: string } = {}
) =>
  Effect.flatMap(HttpServer.HttpServer, (server) =>
    Effect.async<Reply>((resume) => {
      const address = server.address as HttpServer.TcpAddress
      const body = options.body === undefined ? undefined : Buffer.from(options.body)
      const req = request(
        {
          host: "127.0.0.1",
          port: address.port,
          method,
          path,
          agent: keepAlive,
          headers: { ...options.headers, ...(body !== undefined ? { "content-length": String(body.length) } : {}) }
        },
        (res) => {
          let text = ""
          res.setEncoding("utf8")
          res.on("data", (chunk: string) => (text += chunk))
          res.on("end", () => {
            let parsed: unknown = text
            try {
              parsed = text.length > 0 ? JSON.parse(text) : undefined
            } catch {
              // not JSON
            }
            resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: parsed }))
          })
        }
      )
      req.on("error", (error) => resume(Effect.die(error)))
      req.end(body)
    }))
