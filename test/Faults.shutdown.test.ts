import { Agent, request } from "node:http"
import { connect, type Socket } from "node:net"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createDatabase, dropDatabase, query } from "./support/Database.js"
import { eventuallyAsync } from "./support/Eventually.js"
import { freePort, migrate, start } from "./support/Process.js"

/**
 * SIGTERM against clients that misbehave and clients that keep going: the process exits within
 * SHUTDOWN_GRACE (10 s by default, as deployed) whatever they do, and every request it accepted is answered.
 */

const Grace = 10_000
// Spawning and signalling a process on a busy machine is not instantaneous; the bound itself is the watchdog's.
const Margin = 1_000

let url = ""
let name = ""
beforeAll(async () => {
  ;({ name, url } = await createDatabase())
  const migrated = await migrate([], { DATABASE_URL: url })
  expect(migrated.code, migrated.stderr).toBe(0)
  await query(url, `INSERT INTO social_profiles (platform, external_id, handle)
    SELECT 'github', 'id' || n, 'person' || n FROM generate_series(1, 150) AS n`)
})
afterAll(() => dropDatabase(name))

const launch = async () => {
  const port = await freePort()
  const service = start("src/main.ts", [], {
    DATABASE_URL: url,
    PORT: String(port),
    HOST: "127.0.0.1",
    DISCOVERY_WORKERS: "0",
    SENDER_WORKERS: "0"
  })
  await eventuallyAsync(async () => {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`)
    if (response.status !== 200) throw new Error(`readiness ${response.status}`)
  }, { within: 60_000, what: "the service to be ready" })
  return { service, port }
}

const exitAfterSigterm = async (service: Awaited<ReturnType<typeof launch>>["service"]) => {
  const signalled = Date.now()
  service.child.kill("SIGTERM")
  const finished = await service.finished
  return { ...finished, tookMs: Date.now() - signalled }
}

/** A raw connection that sends `bytes` and then nothing more. */
const stalled = (port: number, bytes: string) =>
  new Promise<{ socket: Socket; closed: Promise<string> }>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(bytes)
      resolve({ socket, closed: new Promise((done) => socket.on("close", () => done(received))) })
    })
    let received = ""
    socket.on("data", (chunk) => (received += chunk.toString()))
    socket.on("error", () => {})
    socket.once("error", reject)
  })

const accessLog = (output: string, path: string) =>
  output.split("\n").flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { annotations?: { path?: string; status?: number } }
      return entry.annotations?.path === path && typeof entry.annotations.status === "number" ? [entry.annotations.status] : []
    } catch {
      return []
    }
  })

describe("SIGTERM", () => {
  it("exits within SHUTDOWN_GRACE despite idle, half-sent and slow clients, answering the request in flight", async () => {
    const { port, service } = await launch()
    const base = `http://127.0.0.1:${port}`
    // An idle keep-alive connection, half a request line, half the headers, half a body.
    const idle = await stalled(port, "")
    const clients = await Promise.all([
      stalled(port, "GET /api/social/prof"),
      stalled(port, "GET /api/social/profiles HTTP/1.1\r\nHost: x\r\nX-Slow:"),
      stalled(port, "POST /api/social/suppressions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"platf")
    ])
    // A request still running when the signal arrives: it waits for a lock the test holds.
    const blocker = new pg.Client({ connectionString: url })
    await blocker.connect()
    await blocker.query("BEGIN; LOCK TABLE social_profiles IN ACCESS EXCLUSIVE MODE")
    const inFlight = fetch(`${base}/api/social/profiles?limit=5`)
    await eventuallyAsync(async () => {
      const [waiting] = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted")
      if (waiting!.n === 0) throw new Error("the request has not reached the lock yet")
    }, { within: 10_000, what: "the request to wait on the lock" })

    const exiting = exitAfterSigterm(service)
    // Readiness says so at once; a new connection is refused soon after.
    await eventuallyAsync(async () => {
      const refused = await fetch(`${base}/health/live`).then(() => false, () => true)
      if (!refused) throw new Error("new connections are still accepted")
    }, { within: 5_000, what: "new connections to be refused" })
    await blocker.query("COMMIT")
    await blocker.end()
    expect((await inFlight).status).toBe(200)

    const finished = await exiting
    console.log(JSON.stringify({ scenario: "idle, half-sent and slow clients", exitAfterSigtermMs: finished.tookMs, code: finished.code }))
    expect(finished.code, finished.stdout + finished.stderr).toBe(0)
    expect(finished.tookMs).toBeLessThan(Grace + Margin)
    // The half-sent requests were never answered with data, only closed.
    for (const client of [idle, ...clients]) await client.closed
  }, 90_000)

  it("under keep-alive load, every request the server accepted is answered, and it exits within the grace", async () => {
    const { port, service } = await launch()
    const path = "/api/social/profiles"
    const agent = new Agent({ keepAlive: true, maxSockets: 16 })
    let answered = 0
    let failed = 0
    let stop = false
    const get = () =>
      new Promise<void>((resolve) => {
        const req = request({ host: "127.0.0.1", port, path: `${path}?limit=100`, agent }, (res) => {
          res.resume()
          res.on("end", () => {
            answered++
            resolve()
          })
        })
        req.on("error", () => {
          failed++
          resolve()
        })
        req.end()
      })
    const clients = Array.from({ length: 16 }, async () => {
      while (!stop) {
        await get()
        // A refused connection means the server is gone: a real client would go elsewhere.
        if (failed > 200) break
      }
    })
    await eventuallyAsync(async () => {
      if (answered < 200) throw new Error(`${answered} answered so far`)
    }, { within: 30_000, what: "load to be running" })
    const finished = await exitAfterSigterm(service)
    stop = true
    await Promise.all(clients)
    agent.destroy()

    const logged = accessLog(finished.stdout + finished.stderr, path)
    console.log(JSON.stringify({ scenario: "16 keep-alive clients", exitAfterSigtermMs: finished.tookMs, answered, refusedAfterSigterm: failed, logged: logged.length }))
    expect(finished.code, finished.stderr).toBe(0)
    expect(finished.tookMs).toBeLessThan(Grace + Margin)
    // Every request that reached the service got its answer: the access log and the clients agree.
    expect(logged.filter((status) => status !== 200)).toEqual([])
    expect(logged.length).toBe(answered)
  }, 90_000)
})
