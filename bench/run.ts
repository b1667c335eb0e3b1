// Benchmark of the built service (dist/) against a minimal Fastify + pg baseline. Prints figures; not a test.
import autocannon from "autocannon"
import type { Instance, Result } from "autocannon"
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync } from "node:fs"
import { writeFile } from "node:fs/promises"
import { createServer } from "node:net"
import { setTimeout as sleep } from "node:timers/promises"
import { fileURLToPath } from "node:url"
import { isDeepStrictEqual } from "node:util"
import pg from "pg"
import { measureIngest } from "./ingest.js"
import { measurePage } from "./page.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const adminUrl = process.env["BENCH_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres"
const overallTimeoutMs = 180_000
const loadSeconds = 10
const warmupSeconds = 2
const connections = 50
const seedRows = 10_000
const startupRuns = 3
const profilesPath = "/api/social/profiles?limit=50"

const databases: Array<string> = []
const children = new Set<ChildProcess>()
const loads = new Set<Instance>()
const serviceLog: Array<string> = []

// ---- databases -------------------------------------------------------------------------------------------

const urlFor = (database: string) => {
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  return url.toString()
}

const withClient = async <A>(url: string, f: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

const createDatabase = async () => {
  const name = `so_bench_${randomBytes(6).toString("hex")}`
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`))
  databases.push(name)
  return name
}

const dropDatabases = async () => {
  if (databases.length === 0) return
  await withClient(adminUrl, async (c) => {
    for (const name of databases.splice(0)) {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }
  })
}

const seedSql = `
  INSERT INTO social_profiles (platform, external_id, handle, display_name, bio, location, url, avatar_url,
    followers_count, accepts_dms, status)
  SELECT
    (ARRAY['bluesky', 'mastodon', 'github'])[1 + i % 3],
    CASE i % 3
      WHEN 0 THEN 'did:plc:' || substr(md5(i::text), 1, 24)
      WHEN 1 THEN (100000 + i)::text
      ELSE (5000000 + i * 7)::text
    END,
    CASE i % 3
      WHEN 0 THEN 'dev' || i || '.bsky.social'
      WHEN 1 THEN 'dev' || i || '@fosstodon.org'
      ELSE 'dev-' || i
    END,
    (ARRAY['Ada', 'Linus', 'Grace', 'Ken', 'Barbara', 'Dennis', 'Margaret'])[1 + i % 7] || ' ' ||
      (ARRAY['Lovelace', 'Torvalds', 'Hopper', 'Thompson', 'Liskov', 'Ritchie', 'Hamilton'])[1 + (i / 7) % 7],
    CASE WHEN i % 10 = 0 THEN NULL
      ELSE 'Building developer tools in TypeScript and Rust. Open source maintainer #' || i || '.' END,
    (ARRAY['Berlin', 'Lisbon', 'Toronto', 'Nairobi', 'Osaka', NULL])[1 + i % 6],
    'https://dev' || i || '.example.com',
    'https://cdn.example.com/avatars/' || md5(i::text) || '.png',
    (i * 7919) % 50000,
    i % 4 <> 0,
    'new'
  FROM generate_series(1, ${seedRows}) AS i`

// ---- processes -------------------------------------------------------------------------------------------

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")))
    })
  })

// Service settings from the caller's environment must not leak into the children (API_TOKEN would make every call 401).
const serviceKeys = [
  "API_TOKEN", "DATABASE_URL", "DATABASE_POOL_MAX", "DATABASE_CONNECT_TIMEOUT", "DATABASE_CONNECT_RETRIES",
  "PGLITE_DATA_DIR", "MIGRATE_ON_START", "MIGRATION_LOCK_TIMEOUT", "MAX_BODY_BYTES", "RETRY_AFTER_SECONDS",
  "LOG_LEVEL", "LOG_FORMAT", "PORT", "HOST"
]

const childEnv = (extra: Record<string, string>) => {
  const env: Record<string, string | undefined> = { ...process.env }
  for (const key of serviceKeys) delete env[key]
  return { ...env, ...extra }
}

const launch = (label: string, args: Array<string>, env: Record<string, string>) => {
  const child = spawn(process.execPath, args, { cwd: root, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] })
  children.add(child)
  child.once("exit", () => children.delete(child))
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) {
      if (line.trim().length > 0) serviceLog.push(`[${label}] ${line}`)
    }
  }
  child.stdout?.on("data", collect)
  child.stderr?.on("data", collect)
  return child
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
    else child.once("exit", (code) => resolve(code))
  })

const stop = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill("SIGTERM")
  const done = await Promise.race([exited(child).then(() => true), sleep(5_000).then(() => false)])
  if (!done) {
    child.kill("SIGKILL")
    await exited(child)
  }
}

const runNode = async (label: string, args: Array<string>, env: Record<string, string>) => {
  const child = launch(label, args, env)
  const code = await Promise.race([exited(child), sleep(60_000).then(() => "timeout" as const)])
  if (code !== 0) {
    await stop(child)
    throw new Error(`${label} ${args.join(" ")} ended with ${code}`)
  }
}

/** Polls `url` every 20 ms until it answers `status`; fails if the child exits or 30 s pass. */
const waitFor = async (url: string, status: number, child: ChildProcess) => {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${url} answered`)
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) })
      await response.arrayBuffer()
      if (response.status === status) return
    } catch {
      // not listening yet
    }
    await sleep(20)
  }
  throw new Error(`${url} did not answer ${status} within 30 s`)
}

const migrate = async (database: string) => {
  if (!existsSync(`${root}dist/bin/migrate.js`)) throw new Error("dist/bin/migrate.js is missing: did npm run build run?")
  await runNode("migrate", ["dist/bin/migrate.js"], { DATABASE_URL: urlFor(database), LOG_LEVEL: "Warning", LOG_FORMAT: "json" })
}

const startService = async (label: string, database: string, port: number) => {
  const started = performance.now()
  const child = launch(label, ["dist/main.js"], {
    DATABASE_URL: urlFor(database),
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "Warning",
    LOG_FORMAT: "json"
  })
  await waitFor(`http://127.0.0.1:${port}/health/ready`, 200, child)
  return { child, readyMs: performance.now() - started }
}

// ---- load ------------------------------------------------------------------------------------------------

const load = async (url: string, seconds: number) => {
  const instance = autocannon({ url, connections, duration: seconds, timeout: 10, maxOverallRequests: 2_000_000 })
  loads.add(instance)
  try {
    return await instance
  } finally {
    loads.delete(instance)
  }
}

interface Figures {
  readonly url: string
  readonly requestsPerSecond: number
  readonly latencyP50Ms: number
  readonly latencyP99Ms: number
  readonly totalRequests: number
  readonly status2xx: number
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  readonly statusCodes: Record<string, number>
}

const figures = (result: Result): Figures => ({
  url: result.url,
  requestsPerSecond: result.requests.mean,
  latencyP50Ms: result.latency.p50,
  latencyP99Ms: result.latency.p99,
  totalRequests: result["2xx"] + result.non2xx,
  status2xx: result["2xx"],
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]))
})

const measure = async (label: string, url: string) => {
  console.log(`load: ${label} (${warmupSeconds} s warm-up, then ${loadSeconds} s, ${connections} connections)`)
  await load(url, warmupSeconds)
  return figures(await load(url, loadSeconds))
}

const getJson = async (url: string) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) })
  return { status: response.status, body: (await response.json()) as unknown }
}

// ---- report ----------------------------------------------------------------------------------------------

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

const printTable = (rows: Record<string, Figures>) => {
  const header = ["scenario", "req/s", "p50 ms", "p99 ms", "requests", "2xx", "non-2xx", "errors"]
  const body = Object.entries(rows).map(([name, f]) => [
    name,
    round(f.requestsPerSecond).toFixed(1),
    String(f.latencyP50Ms),
    String(f.latencyP99Ms),
    String(f.totalRequests),
    String(f.status2xx),
    String(f.non2xx),
    String(f.errors + f.timeouts)
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
  console.log(line(header))
  console.log(widths.map((w) => "-".repeat(w)).join("  "))
  for (const row of body) console.log(line(row))
}

// ---- main ------------------------------------------------------------------------------------------------

let cleaning: Promise<void> | undefined
const cleanup = () =>
  (cleaning ??= (async () => {
    for (const instance of loads) instance.stop()
    await Promise.allSettled([...children].map(stop))
    try {
      await dropDatabases()
    } catch (error) {
      console.error(`could not drop ${databases.join(", ")}: ${String(error)}`)
    }
  })())

const main = async () => {
  const ours = await createDatabase()
  console.log(`database ${ours}: migrating and seeding ${seedRows} profiles`)
  await migrate(ours)
  await withClient(urlFor(ours), async (c) => {
    await c.query(seedSql)
    await c.query("ANALYZE social_profiles")
  })

  const port = await freePort()
  const startupMs: Array<number> = []
  let service: ChildProcess | undefined
  for (let run = 1; run <= startupRuns; run++) {
    const started = await startService("service", ours, port)
    startupMs.push(started.readyMs)
    console.log(`startup ${run}: ready after ${round(started.readyMs)} ms`)
    if (run < startupRuns) await stop(started.child)
    else service = started.child
  }
  if (service === undefined) throw new Error("service not started")
  const oursUrl = `http://127.0.0.1:${port}${profilesPath}`
  const first = await getJson(oursUrl)
  if (first.status !== 200) throw new Error(`GET ${profilesPath} answered ${first.status}: ${JSON.stringify(first.body)}`)

  const page = await measurePage(`http://127.0.0.1:${port}`)

  const results: Record<string, Figures> = {}
  results["ours: profiles list"] = await measure("ours, profiles list", oursUrl)

  const empty = await createDatabase()
  await migrate(empty)
  const missingPort = await freePort()
  const missing = await startService("service-503", empty, missingPort)
  await withClient(urlFor(empty), (c) =>
    c.query("DROP TABLE social_messages, social_drafts, social_profiles, social_discovery_jobs CASCADE"))
  const missingUrl = `http://127.0.0.1:${missingPort}${profilesPath}`
  const probe = await getJson(missingUrl)
  const tag = (probe.body as { _tag?: unknown } | null)?._tag
  console.log(`tables dropped: GET ${profilesPath} answers ${probe.status} ${String(tag)}`)
  if (probe.status !== 503 || tag !== "TablesMissing") throw new Error(`expected 503 TablesMissing, got ${JSON.stringify(probe)}`)
  results["ours: 503 TablesMissing"] = await measure("ours, 503 TablesMissing", missingUrl)
  await stop(missing.child)

  const fastifyPort = await freePort()
  const fastify = launch("fastify", ["--import", "tsx", "bench/fastify.ts"], {
    DATABASE_URL: urlFor(ours),
    PORT: String(fastifyPort),
    HOST: "127.0.0.1"
  })
  const fastifyUrl = `http://127.0.0.1:${fastifyPort}${profilesPath}`
  await waitFor(fastifyUrl, 200, fastify)
  const [oursBody, fastifyBody] = await Promise.all([getJson(oursUrl), getJson(fastifyUrl)])
  const bodiesEqual = isDeepStrictEqual(oursBody.body, fastifyBody.body)
  console.log(`bodies equal (ours vs fastify, ${profilesPath}): ${bodiesEqual ? "yes" : "NO"}`)
  await stop(service)
  results["fastify + pg: profiles list"] = await measure("fastify + pg, profiles list", fastifyUrl)
  await stop(fastify)

  const ingestDatabase = await createDatabase()
  await migrate(ingestDatabase)
  console.log(`ingest: ${seedRows} profiles through ProfilesRepo.upsertMany, pages of 100, new then known`)
  const ingest = await measureIngest(urlFor(ingestDatabase), seedRows, 100)

  const oursList = results["ours: profiles list"]!
  const fastifyList = results["fastify + pg: profiles list"]!
  const missingLoad = results["ours: 503 TablesMissing"]!
  const ratio = oursList.requestsPerSecond / fastifyList.requestsPerSecond
  const startupMedian = median(startupMs)

  console.log("")
  printTable(results)
  console.log("")
  console.log(`startup to first 200 /health/ready (median of ${startupRuns}): ${round(startupMedian)} ms  [${startupMs.map((ms) => round(ms)).join(", ")}]`)
  console.log(`ours / fastify requests/s (profiles list): ${round(ratio, 2)}`)
  console.log(`503 path: non-2xx is the whole count: ${missingLoad.non2xx === missingLoad.totalRequests && missingLoad.totalRequests > 0 ? "yes" : "NO"} (${JSON.stringify(missingLoad.statusCodes)})`)
  console.log(`bodies equal: ${bodiesEqual ? "yes" : "NO"}`)
  const kb = (bytes: number) => `${round(bytes / 1024)} KB`
  console.log(
    `review desk page: JavaScript ${kb(page.jsBytes)} raw, ${kb(page.jsGzipBytes)} gzipped (budget 250 KB); ` +
      `CSS ${kb(page.cssBytes)} raw, ${kb(page.cssGzipBytes)} gzipped`
  )
  console.log(
    `ingest of ${ingest.profiles} profiles (pages of ${ingest.batchSize}): new ${round(ingest.insertMs)} ms ` +
      `(${Math.round(ingest.insertPerSecond)}/s), known ${round(ingest.updateMs)} ms (${Math.round(ingest.updatePerSecond)}/s)`
  )

  await writeFile(`${root}bench/results.json`, JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    settings: { connections, loadSeconds, warmupSeconds, seedRows },
    startupToReadyMs: { median: round(startupMedian), runs: startupMs.map((ms) => round(ms)) },
    scenarios: results,
    oursOverFastifyRequestsPerSecond: round(ratio, 3),
    ingest,
    page,
    bodiesEqual
  }, null, 2) + "\n")
  console.log("figures written to bench/results.json")

  const warnings = serviceLog.filter((line) => !line.startsWith("[migrate]") && !line.includes("API_TOKEN is not set"))
  if (warnings.length > 0) {
    console.log(`\nchild process output (${warnings.length} lines, first 20):`)
    for (const line of warnings.slice(0, 20)) console.log(`  ${line}`)
  }
}

const timer = setTimeout(() => {
  console.error(`bench: gave up after ${overallTimeoutMs / 1000} s`)
  void cleanup().finally(() => process.exit(1))
}, overallTimeoutMs)

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping`)
    void cleanup().finally(() => process.exit(130))
  })
}

try {
  await main()
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`)
  for (const line of serviceLog.slice(-20)) console.error(`  ${line}`)
  process.exitCode = 1
} finally {
  clearTimeout(timer)
  await cleanup()
}
