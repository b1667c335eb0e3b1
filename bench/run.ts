// The benchmark: the compiled service against a minimal Fastify + pg baseline answering the same bytes, wrk as
// the load (so the load generator does not cost the server a core of Node), pgbench for PostgreSQL's own
// ceiling on the same SQL. Prints one table and writes it to bench/RESULTS.md. Figures, not assertions.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir, totalmem } from "node:os"
import { join } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { measureIngest } from "./ingest.js"
import { measurePage } from "./page.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const adminUrl = process.env["BENCH_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres"
const OverallLimitMs = 180_000
const Rounds = 3
const LoadSeconds = 4
const WarmupSeconds = 1
const Connections = 20
const SeedRows = 10_000
const StartupRuns = 5

const cursor = Buffer.from("v1:5000").toString("base64url")

/** What is measured: each endpoint call and the SQL it runs (for PostgreSQL's ceiling). */
const Scenarios = [
  {
    name: "list",
    path: "/api/social/profiles?limit=50",
    sql: "WHERE status <> 'archived' ORDER BY id DESC LIMIT 51"
  },
  {
    name: "filtered list (platform + q)",
    path: "/api/social/profiles?limit=50&platform=github&q=ada",
    sql: "WHERE platform = 'github' AND status <> 'archived' AND (handle ILIKE '%ada%' OR display_name ILIKE '%ada%') ORDER BY id DESC LIMIT 51"
  },
  {
    name: "cursor page",
    path: `/api/social/profiles?limit=50&cursor=${cursor}`,
    sql: "WHERE status <> 'archived' AND id < 5000 ORDER BY id DESC LIMIT 51"
  }
] as const

const databases: Array<string> = []
const children = new Set<ChildProcess>()

// ---- tools -------------------------------------------------------------------------------------------------

const pgBin = (name: string) => {
  const versions = existsSync("/usr/lib/postgresql") ? execFileSync("ls", ["/usr/lib/postgresql"]).toString().trim().split("\n") : []
  const found = versions.sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin/${name}`).find(existsSync)
  return found ?? name
}

/** wrk from Debian's packages: found, or installed when it is missing. */
const ensureWrk = () => {
  if (spawnSync("wrk", ["--version"]).error === undefined) return
  console.log("bench: installing wrk (apt-get install wrk)")
  execFileSync("apt-get", ["install", "-y", "-q", "wrk"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } })
}

// ---- databases ---------------------------------------------------------------------------------------------

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

const dropDatabases = () =>
  withClient(adminUrl, async (c) => {
    for (const name of databases.splice(0)) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  })

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
      ELSE 'Building developer tools in TypeScript and Rust. Open source maintainer #' || i || '. Écrit en français aussi ✓' END,
    (ARRAY['Berlin', 'Lisbon', 'Toronto', 'Nairobi', 'Osaka', NULL])[1 + i % 6],
    'https://dev' || i || '.example.com',
    'https://cdn.example.com/avatars/' || md5(i::text) || '.png',
    (i * 7919) % 50000,
    CASE WHEN i % 4 = 0 THEN NULL ELSE i % 4 <> 1 END,
    'new'
  FROM generate_series(1, ${SeedRows}) AS i`

// ---- processes ---------------------------------------------------------------------------------------------

const freePort = async () => {
  const { createServer } = await import("node:net")
  return new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

// Settings from the caller's environment must not leak into the children (an API_TOKEN would make every call 401).
const childEnv = (extra: Record<string, string>) => {
  const env: Record<string, string | undefined> = { ...process.env }
  for (const key of Object.keys(env)) if (/^(API_TOKENS?|DATABASE_|PGLITE_|HOST|PORT|LOG_|DISCOVERY_|SEND|MIGRATE_)/.test(key)) delete env[key]
  return { ...env, ...extra }
}

// A process group of its own, so stopping it reaches what it started (npm exits on SIGTERM before its script's process).
const launch = (command: string, args: Array<string>, env: Record<string, string>) => {
  const child = spawn(command, args, { cwd: root, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"], detached: true })
  children.add(child)
  child.once("exit", () => children.delete(child))
  let output = ""
  child.stdout?.on("data", (chunk) => (output += chunk))
  child.stderr?.on("data", (chunk) => (output += chunk))
  return { child, output: () => output }
}

// Its output closed too: every process of the group that held it has ended.
const closed = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.stdout === null || child.stdout.closed ? resolve() : child.once("close", () => resolve())))

const stop = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // already gone
    }
  }
  group("SIGTERM")
  const done = await Promise.race([closed(child).then(() => true), sleep(12_000).then(() => false)])
  if (!done) {
    group("SIGKILL")
    await closed(child)
  }
}

/** Polls `url` every 10 ms until it answers `status`. */
const waitFor = async (url: string, status: number, { child, output }: ReturnType<typeof launch>, limitMs = 60_000) => {
  const deadline = Date.now() + limitMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process exited before ${url} answered: ${output()}`)
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) })
      await response.arrayBuffer()
      if (response.status === status) return
    } catch {
      // not listening yet
    }
    await sleep(10)
  }
  throw new Error(`${url} did not answer ${status} within ${limitMs / 1000} s`)
}

const startService = async (database: string, port: number, extra: Record<string, string> = {}) => {
  const started = performance.now()
  const service = launch(process.execPath, ["dist/main.js"], {
    DATABASE_URL: urlFor(database),
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    LOG_FORMAT: "json",
    ...extra
  })
  await waitFor(`http://127.0.0.1:${port}/health/ready`, 200, service)
  return { ...service, readyMs: performance.now() - started }
}

const rssMb = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb / 1024
}

// ---- measuring ---------------------------------------------------------------------------------------------

interface Load {
  readonly rps: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly non2xx: number
  readonly errors: number
}

const ms = (text: string) => {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text.trim())
  if (match === null) return NaN
  const value = Number(match[1])
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value
}

/** One wrk run: one thread, `Connections` keep-alive connections, `seconds` long. */
const wrk = (url: string, seconds: number): Load => {
  const out = execFileSync("wrk", ["-t1", `-c${Connections}`, `-d${seconds}s`, "--latency", url], { encoding: "utf8" })
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)
  const p50 = ms(/\n\s+50%\s+(\S+)/.exec(out)?.[1] ?? "")
  const p99 = ms(/\n\s+99%\s+(\S+)/.exec(out)?.[1] ?? "")
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = socket === null ? 0 : socket.slice(1).reduce((n, v) => n + Number(v), 0)
  return { rps, p50Ms: p50, p99Ms: p99, non2xx, errors }
}

const measure = (url: string) => {
  wrk(url, WarmupSeconds)
  return wrk(url, LoadSeconds)
}

/** PostgreSQL's own throughput on the endpoint's SQL, with prepared statements: the ceiling of any server on top. */
const pgbench = (database: string, sql: string) => {
  const dir = mkdtempSync(join(tmpdir(), "so-pgbench-"))
  try {
    const file = join(dir, "query.sql")
    writeFileSync(file, `${sql};\n`)
    const url = new URL(urlFor(database))
    const out = execFileSync(pgBin("pgbench"), [
      "-n", "-M", "prepared", "-c", String(Connections), "-j", "1", "-T", "3", "-f", file,
      "-h", url.hostname, "-p", url.port || "5432", "-U", url.username || "postgres", database
    ], { encoding: "utf8" })
    return Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const round = (n: number, digits = 0) => (Number.isFinite(n) ? (Math.round(n * 10 ** digits) / 10 ** digits).toFixed(digits) : "n/a")

// ---- main --------------------------------------------------------------------------------------------------

const profilesColumns = readFileSync(join(root, "bench/fastify.ts"), "utf8").match(/const columns = `([^`]+)`/)?.[1]
if (profilesColumns === undefined) throw new Error("bench/fastify.ts: no columns")

const main = async () => {
  ensureWrk()
  if (!existsSync(join(root, "dist/main.js"))) throw new Error("dist/main.js is missing: run npm run build (npm run bench does)")
  const started = Date.now()
  const database = await createDatabase()
  console.log(`bench: database ${database}, migrating and seeding ${SeedRows} profiles`)
  execFileSync(process.execPath, ["dist/bin/migrate.js"], { cwd: root, env: childEnv({ DATABASE_URL: urlFor(database), LOG_LEVEL: "warn" }) })
  await withClient(urlFor(database), async (c) => {
    await c.query(seedSql)
    await c.query("ANALYZE social_profiles")
  })

  // Start to ready, on the migrated database, as Render starts it.
  const startupMs: Array<number> = []
  for (let run = 1; run <= StartupRuns; run++) {
    const service = await startService(database, await freePort(), { DISCOVERY_WORKERS: "0", SENDER_WORKERS: "0" })
    startupMs.push(service.readyMs)
    await stop(service.child)
  }
  console.log(`bench: node dist/main.js to ready: ${startupMs.map((m) => round(m)).join(", ")} ms`)

  // The service as deployed (its workers running), and the baseline.
  const oursPort = await freePort()
  const ours = await startService(database, oursPort)
  await sleep(3000)
  const idleRss = rssMb(ours.child.pid!)
  const fastifyPort = await freePort()
  const fastify = launch(process.execPath, ["--import", "tsx", "bench/fastify.ts"], {
    DATABASE_URL: urlFor(database),
    PORT: String(fastifyPort),
    HOST: "127.0.0.1"
  })
  await waitFor(`http://127.0.0.1:${fastifyPort}${Scenarios[0].path}`, 200, fastify)
  const page = await measurePage(`http://127.0.0.1:${oursPort}`)

  for (const scenario of Scenarios) {
    const [a, b] = await Promise.all([oursPort, fastifyPort].map(async (port) => (await fetch(`http://127.0.0.1:${port}${scenario.path}`)).text()))
    if (a !== b) throw new Error(`${scenario.name}: the service and the baseline do not answer the same bytes`)
  }
  console.log("bench: the service and the baseline answer the same bytes for every scenario")

  const results = Scenarios.map((scenario) => ({ scenario, ours: [] as Array<Load>, fastify: [] as Array<Load> }))
  for (let r = 1; r <= Rounds; r++) {
    for (const result of results) {
      // Alternating who goes first, so a slow moment of the machine does not favour one side.
      const order = r % 2 === 1 ? (["ours", "fastify"] as const) : (["fastify", "ours"] as const)
      for (const side of order) {
        const port = side === "ours" ? oursPort : fastifyPort
        result[side].push(measure(`http://127.0.0.1:${port}${result.scenario.path}`))
      }
    }
    console.log(`bench: round ${r} of ${Rounds} done`)
  }
  const loadRss = rssMb(ours.child.pid!)
  await stop(fastify.child)
  await stop(ours.child)

  const ceilings = Scenarios.map((scenario) => pgbench(database, `SELECT ${profilesColumns.replace(/\s+/g, " ")} FROM social_profiles ${scenario.sql}`))

  // The 503 path: our tables gone, every answer a remembered TablesMissing.
  const empty = await createDatabase()
  execFileSync(process.execPath, ["dist/bin/migrate.js"], { cwd: root, env: childEnv({ DATABASE_URL: urlFor(empty), LOG_LEVEL: "warn" }) })
  const missingPort = await freePort()
  const missing = await startService(empty, missingPort, { DISCOVERY_WORKERS: "0", SENDER_WORKERS: "0" })
  await withClient(urlFor(empty), (c) => c.query("DROP TABLE social_messages, social_drafts, social_profiles CASCADE"))
  await sleep(1200)
  const missingLoad = measure(`http://127.0.0.1:${missingPort}${Scenarios[0].path}`)
  await stop(missing.child)

  // npm start to ready, on the embedded database once migrated (and once built: start.sh builds when stale).
  const dataDir = mkdtempSync(join(tmpdir(), "so-bench-pglite-"))
  const npmStartMs: Array<number> = []
  try {
    for (let run = 0; run < 3; run++) {
      const port = await freePort()
      const begun = performance.now()
      const dev = launch("npm", ["start", "--silent"], { PGLITE_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" })
      await waitFor(`http://127.0.0.1:${port}/health/ready`, 200, dev, 120_000)
      // The first start creates and migrates the embedded database; the figure is for the starts after.
      if (run > 0) npmStartMs.push(performance.now() - begun)
      await stop(dev.child)
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }

  const ingestDatabase = await createDatabase()
  execFileSync(process.execPath, ["dist/bin/migrate.js"], { cwd: root, env: childEnv({ DATABASE_URL: urlFor(ingestDatabase), LOG_LEVEL: "warn" }) })
  const ingest = await measureIngest(urlFor(ingestDatabase), SeedRows, 100)

  // ---- the table
  const rows: Array<[string, string, string, string, string]> = []
  results.forEach(({ fastify: theirs, ours: mine, scenario }, i) => {
    const ratios = mine.map((m, r) => m.rps / theirs[r]!.rps)
    rows.push([
      `${scenario.name}: req/s (median of ${Rounds} rounds)`,
      round(median(mine.map((m) => m.rps))),
      round(median(theirs.map((m) => m.rps))),
      `${round(median(ratios), 2)}× (${ratios.map((x) => round(x, 2)).join(", ")})`,
      round(ceilings[i]!)
    ])
    const p99 = median(mine.map((m) => m.p99Ms))
    const p99Theirs = median(theirs.map((m) => m.p99Ms))
    rows.push([`${scenario.name}: p99 latency ms`, round(p99, 1), round(p99Theirs, 1), `${round(p99 / p99Theirs, 2)}×`, ""])
  })
  rows.push(["503 TablesMissing path: req/s", round(missingLoad.rps), "", `non-2xx ${missingLoad.non2xx}`, ""])
  rows.push([`node dist/main.js to ready, migrated (median of ${StartupRuns})`, `${round(median(startupMs))} ms`, "", "", ""])
  rows.push(["npm start to ready, embedded, migrated (median of 2)", `${round(median(npmStartMs))} ms`, "", "", ""])
  rows.push(["RSS idle, workers on", `${round(idleRss)} MB`, "", "", ""])
  rows.push(["RSS at the end of the load", `${round(loadRss)} MB`, "", "", ""])
  rows.push([`ingest of ${SeedRows} profiles, pages of 100: new / known`, `${round(ingest.insertPerSecond)}/s / ${round(ingest.updatePerSecond)}/s`, "", "", ""])
  rows.push(["review desk JavaScript, gzipped", `${round(page.jsGzipBytes / 1024, 1)} KB`, "", "budget 250 KB", ""])
  const header: [string, string, string, string, string] = ["figure", "ours", "Fastify + pg", "ratio", "PostgreSQL ceiling (pgbench tps)"]
  const table = [header, header.map(() => "---") as typeof header, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n")

  const cpu = cpus()[0]?.model ?? "unknown CPU"
  const pgVersion = await withClient(adminUrl, (c) => c.query<{ server_version: string }>("SHOW server_version").then((r) => r.rows[0]!.server_version))
  const machine = `${cpus().length} × ${cpu}, ${round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; PostgreSQL ${pgVersion}; ` +
    `load average at the start ${loadavg().map((l) => round(l, 1)).join(" ")}`
  const report = `# Benchmark results

\`npm run bench\`, ${new Date().toISOString()}, ${round((Date.now() - started) / 1000)} s.

Machine: ${machine}.
Load: wrk \`-t1 -c${Connections}\`, ${WarmupSeconds} s warm-up then ${LoadSeconds} s per run, ${Rounds} rounds alternating
which server goes first; ${SeedRows} profiles, \`limit=50\`; the service built as deployed, workers on, \`LOG_LEVEL=warn\` (no access log, as the baseline); the
baseline (\`bench/fastify.ts\`) answers the same bytes, checked before measuring. The PostgreSQL ceiling is
\`pgbench -M prepared -c ${Connections} -T 3\` on the SQL the endpoint runs.

${table}
`
  console.log(`\n${table}\n`)
  writeFileSync(join(root, "bench/RESULTS.md"), report)
  console.log("bench: written to bench/RESULTS.md")
}

let cleaning: Promise<void> | undefined
const cleanup = () =>
  (cleaning ??= (async () => {
    await Promise.allSettled([...children].map(stop))
    await dropDatabases().catch((error) => console.error(`bench: could not drop ${databases.join(", ")}: ${String(error)}`))
  })())

const limit = setTimeout(() => {
  console.error(`bench: gave up after ${OverallLimitMs / 1000} s`)
  void cleanup().finally(() => process.exit(1))
}, OverallLimitMs)

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void cleanup().finally(() => process.exit(130)))
}

try {
  await main()
} catch (error) {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  clearTimeout(limit)
  await cleanup()
}
