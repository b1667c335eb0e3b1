import { HttpServer } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { connect, type Socket } from "node:net"
import { call, pgAppLayer } from "./support/App.js"
import { eventually } from "./support/Eventually.js"

/** A connection that sends `bytes`, then nothing; resolves with what the server sent once it closed. */
const stall = (port: number, bytes: string) =>
  Effect.async<{ readonly received: string; readonly socket: Socket; readonly closed: Promise<string> }>((resume) => {
    let received = ""
    let done: (text: string) => void = () => {}
    const closed = new Promise<string>((resolve) => (done = resolve))
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(bytes)
      resume(Effect.succeed({ received, socket, closed }))
    })
    socket.on("data", (chunk) => (received += chunk.toString()))
    socket.on("close", () => done(received))
    socket.on("error", () => {})
  })

const port = Effect.map(HttpServer.HttpServer, (server) => (server.address as HttpServer.TcpAddress).port)

layer(pgAppLayer({ MAX_CONNECTIONS: "4", HTTP_HEADERS_TIMEOUT: "1 second", HTTP_REQUEST_TIMEOUT: "2 seconds" }), {
  timeout: "60 seconds",
  excludeTestServices: true
})("Slow and many clients", (it) => {
  it.effect("a client that never finishes its headers or its body is cut off after the timeouts", () =>
    Effect.gen(function*() {
      const at = yield* port
      const headers = yield* stall(at, "GET /api/social/profiles HTTP/1.1\r\nHost: x\r\nX-Slow:")
      const body = yield* stall(at, "POST /api/social/suppressions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{")
      const [cutHeaders, cutBody] = yield* Effect.promise(() => Promise.all([headers.closed, body.closed]))
      expect(cutHeaders).toContain("408")
      expect(cutBody).toContain("408")
    }))

  it.effect("connections beyond MAX_CONNECTIONS are refused while the others are served", () =>
    Effect.gen(function*() {
      const at = yield* port
      const held = yield* Effect.all(Array.from({ length: 4 }, () => stall(at, "")))
      const extra = yield* stall(at, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(yield* Effect.promise(() => extra.closed)).toBe("")
      for (const { socket } of held) socket.destroy()
      const served = yield* eventually(
        call("GET", "/health/live").pipe(Effect.catchAllDefect((defect) => Effect.fail(new Error(String(defect))))),
        { within: "5 seconds", what: "a free connection slot" }
      )
      expect(served.status).toBe(200)
    }))
})
