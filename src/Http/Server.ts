import { FileSystem, HttpIncomingMessage, HttpServer, HttpServerError } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { Duration, Effect, Layer, Option } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { AppConfig } from "../Config.js"
import { Lifecycle } from "../Lifecycle.js"

/** How often Node checks the header and request timeouts: a slow client is cut at most this late. */
const TimeoutCheckInterval = 1000
const IdleSweepInterval = 100

/**
 * A Node HTTP server whose slow clients are bounded (header, request and keep-alive timeouts, a cap on
 * connections) and whose shutdown is too: when its scope closes it stops accepting connections, closes idle
 * keep-alive ones, keeps answering the requests that arrive on open connections (with `Connection: close`),
 * and at the shutdown deadline closes whatever is still open, so no client can hold the process.
 */
export const make = (options: { readonly host: string; readonly port: number }) =>
  Effect.gen(function*() {
    const { http, maxBodyBytes, maxImportBytes, shutdownGrace } = yield* AppConfig
    const lifecycle = yield* Lifecycle
    const server = createServer({
      // Node takes whole milliseconds only.
      headersTimeout: Math.ceil(Duration.toMillis(http.headersTimeout)),
      requestTimeout: Math.ceil(Duration.toMillis(http.requestTimeout)),
      keepAliveTimeout: Math.ceil(Duration.toMillis(http.keepAliveTimeout)),
      connectionsCheckingInterval: TimeoutCheckInterval
    })
    server.maxConnections = http.maxConnections

    yield* Effect.acquireRelease(
      Effect.async<void, HttpServerError.ServeError>((resume) => {
        const onError = (cause: Error) => resume(Effect.fail(new HttpServerError.ServeError({ cause })))
        server.once("error", onError)
        server.listen({ host: options.host, port: options.port }, () => {
          server.off("error", onError)
          resume(Effect.void)
        })
      }),
      () => Effect.sync(() => server.listening && server.close())
    )
    const address = server.address() as AddressInfo

    // What is left of the grace after the last request is for handing work back and closing the database.
    const reserve = Math.min(1500, Duration.toMillis(shutdownGrace) / 4)

    return HttpServer.make({
      address: { _tag: "TcpAddress", hostname: address.address, port: address.port },
      serve: (app, middleware) =>
        Effect.gen(function*() {
          const handler = yield* NodeHttpServer.makeHandler(app, middleware!).pipe(
            Effect.provideService(
              HttpIncomingMessage.MaxBodySize,
              Option.some(FileSystem.Size(Math.max(maxBodyBytes, maxImportBytes)))
            )
          )
          const open = new Set<ServerResponse>()
          let draining = false
          const onRequest = (req: IncomingMessage, res: ServerResponse) => {
            // During shutdown every answer says the connection closes after it.
            if (draining) res.shouldKeepAlive = false
            open.add(res)
            res.once("close", () => open.delete(res))
            handler(req, res)
          }
          server.on("request", onRequest)

          yield* Effect.addFinalizer(() =>
            Effect.gen(function*() {
              yield* lifecycle.begin
              draining = true
              for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false
              const deadline = Option.getOrElse(yield* lifecycle.deadline, () => Date.now() + Duration.toMillis(shutdownGrace))
              // Connections that fall idle while draining (a keep-alive response just finished) are closed too;
              // one whose next request has begun to arrive is not idle, and is answered.
              const closed = Effect.async<void>((resume) => {
                const sweep = setInterval(() => server.closeIdleConnections(), IdleSweepInterval)
                server.close(() => {
                  clearInterval(sweep)
                  resume(Effect.void)
                })
                server.closeIdleConnections()
                return Effect.sync(() => clearInterval(sweep))
              })
              const inFlight = open.size
              yield* Effect.logInfo(`HTTP server draining: no new connections; ${inFlight} request(s) in flight`)
              // A finalizer runs uninterruptibly: the wait must be made interruptible for the deadline to cut it.
              const drained = yield* closed.pipe(
                Effect.interruptible,
                Effect.timeoutOption(Math.max(0, deadline - reserve - Date.now())),
                Effect.map(Option.isSome)
              )
              if (!drained) {
                yield* Effect.logWarning(
                  `HTTP server: ${open.size} request(s) and their connections still open at the shutdown deadline; closing them`
                )
                server.closeAllConnections()
              }
              server.off("request", onRequest)
            })
          )
        })
    })
  })

const context = NodeHttpServer.layerContext

/** The server on `host:port`, with its platform services. */
export const layer = (options: { readonly host: string; readonly port: number }) =>
  Layer.merge(Layer.scoped(HttpServer.HttpServer, make(options)), context)

/** The server on a random loopback port, and an `HttpClient` that calls it: the real server in tests. */
export const layerTest = HttpServer.layerTestClient.pipe(
  Layer.provide(NodeHttpClient.layerWithoutAgent),
  Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: false })),
  Layer.provideMerge(layer({ host: "127.0.0.1", port: 0 }))
)
