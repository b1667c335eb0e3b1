import { afterEach, describe, expect, it } from "vitest"
import { adminUrl, createDatabase, dropDatabase, query } from "./support/Database.js"
import { webhookReceiver } from "./support/FakeChannels.js"
import { fakeBluesky } from "./support/FakePlatforms.js"
import { staysAsync } from "./support/Eventually.js"
import { freePort, migrate, start, waitFor } from "./support/Process.js"
import { makeProxy } from "./support/Proxy.js"

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const setup = async (actors: number) => {
  const db = await createDatabase()
  cleanups.push(() => dropDatabase(db.name))
  const fake = await fakeBluesky(actors)
  cleanups.push(() => fake.close())
  const migrated = await migrate([], { DATABASE_URL: db.url })
  expect(migrated.code, migrated.stderr).toBe(0)
  return { db, fake }
}

const instance = async (databaseUrl: string, blueskyUrl: string, env: Record<string, string> = {}) => {
  const process = start("src/main.ts", [], {
    DATABASE_URL: databaseUrl,
    PORT: String(await freePort()),
    HOST: "127.0.0.1",
    BLUESKY_APPVIEW_URL: blueskyUrl,
    DISCOVERY_POLL_INTERVAL: "50 millis",
    DISCOVERY_RETRY_BASE: "200 millis",
    DISCOVERY_LEASE: "2 seconds",
    DATABASE_CONNECT_TIMEOUT: "1 second",
    ...env
  })
  cleanups.push(() => process.child.kill("SIGKILL"))
  return process
}

const jobStates = (url: string) =>
  query<{ id: number; status: string; attempts: number; pages_fetched: number; profiles_found: number }>(
    url,
    "SELECT id::int, status, attempts, pages_fetched, profiles_found FROM social_discovery_jobs ORDER BY id"
  )

describe("Discovery workers in several service processes on one database", () => {
  it("three instances share 300 jobs, through a database outage, and each job runs exactly once", async () => {
    const { db, fake } = await setup(5)
    await query(
      db.url,
      `INSERT INTO social_discovery_jobs (platform, filters)
       SELECT 'bluesky', jsonb_build_object('query', 'topic' || n, 'limit', 5) FROM generate_series(1, 300) AS n`
    )
    const proxy = await makeProxy(Number(new URL(adminUrl).port || 5432))
    cleanups.push(() => proxy.cut())
    const proxied = new URL(db.url)
    proxied.port = String(proxy.port)
    const instances = await Promise.all([1, 2, 3].map(() => instance(proxied.toString(), fake.url, { DISCOVERY_WORKERS: "3" })))

    await waitFor(async () => (await jobStates(db.url)).some((job) => job.status === "succeeded"), 30_000, "a first job")
    await proxy.cut()
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await proxy.restore()
    await waitFor(async () => (await jobStates(db.url)).every((job) => job.status === "succeeded"), 90_000, "all 300 jobs")

    const jobs = await jobStates(db.url)
    expect(jobs).toHaveLength(300)
    expect(jobs.filter((job) => job.pages_fetched !== 1 || job.profiles_found !== 5)).toEqual([])
    const [profiles] = await query<{ total: number; distinct: number }>(
      db.url,
      "SELECT count(*)::int AS total, count(DISTINCT external_id)::int AS distinct FROM social_profiles"
    )
    expect(profiles).toEqual({ total: 1500, distinct: 1500 })
    // The work was shared: more than one instance finished jobs.
    const succeeded = instances.map((p) => (p.output().match(/Discovery job \d+ succeeded/g) ?? []).length)
    expect(succeeded.filter((count) => count > 0).length).toBeGreaterThan(1)
  }, 150_000)

  it("a process killed mid-job (SIGKILL): another claims the job when the lease runs out and finishes it", async () => {
    const { db, fake } = await setup(20)
    fake.slow("/xrpc/app.bsky.actor.searchActors", 30_000)
    await query(db.url, "INSERT INTO social_discovery_jobs (platform, filters) VALUES ('bluesky', '{\"query\": \"slow\", \"limit\": 20}')")
    const first = await instance(db.url, fake.url, { DISCOVERY_WORKERS: "1" })
    await waitFor(async () => (await jobStates(db.url))[0]?.status === "running", 30_000, "the job to be claimed")
    first.child.kill("SIGKILL")
    await first.finished
    fake.slow("/xrpc/app.bsky.actor.searchActors", 0)

    await instance(db.url, fake.url, { DISCOVERY_WORKERS: "1" })
    await waitFor(async () => (await jobStates(db.url))[0]?.status === "succeeded", 60_000, "the job to finish")
    const [job] = await jobStates(db.url)
    expect(job).toMatchObject({ attempts: 2, pages_fetched: 1, profiles_found: 20 })
    const [count] = await query<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM social_profiles")
    expect(count!.n).toBe(20)
  }, 120_000)

  it("SIGTERM hands a running job back at once instead of leaving it to its lease", async () => {
    const { db, fake } = await setup(20)
    fake.slow("/xrpc/app.bsky.actor.searchActors", 30_000)
    await query(db.url, "INSERT INTO social_discovery_jobs (platform, filters) VALUES ('bluesky', '{\"query\": \"handback\", \"limit\": 20}')")
    const worker = await instance(db.url, fake.url, { DISCOVERY_WORKERS: "1", DISCOVERY_LEASE: "60 seconds" })
    await waitFor(async () => (await jobStates(db.url))[0]?.status === "running", 30_000, "the job to be claimed")
    worker.child.kill("SIGTERM")
    const finished = await worker.finished
    expect(finished.code).toBe(0)
    const [job] = await jobStates(db.url)
    expect(job).toMatchObject({ status: "queued", attempts: 0 })
  }, 60_000)

  it("the daily cap holds across two service processes sending on one database", async () => {
    const secret = `whsec_${Buffer.from("two instances share one cap").toString("base64")}`
    const hook = await webhookReceiver(secret)
    cleanups.push(() => hook.close())
    const { db, fake } = await setup(1)
    await query(db.url, `INSERT INTO social_profiles (platform, external_id, handle)
      SELECT 'github', 'cap' || n, 'cap' || n FROM generate_series(1, 6) AS n`)
    await query(db.url, `INSERT INTO social_drafts (profile_id, channel, body, status, approved_at)
      SELECT id, 'webhook', 'Hello ' || handle, 'approved', now() FROM social_profiles`)
    await query(db.url, `INSERT INTO social_messages (draft_id, profile_id, channel, body, recipient)
      SELECT id, profile_id, channel, body, 'x' FROM social_drafts`)
    const env = {
      DISCOVERY_WORKERS: "0",
      SENDER_WORKERS: "2",
      SENDER_POLL_INTERVAL: "50 millis",
      SEND_MIN_SPACING: "0 millis",
      SEND_SPACING_JITTER: "0 millis",
      SEND_CAP_WEBHOOK: "3",
      WEBHOOK_URL: `${hook.url}/in`,
      WEBHOOK_SECRET: secret
    }
    await Promise.all([instance(db.url, fake.url, env), instance(db.url, fake.url, env)])
    await waitFor(async () => hook.deliveries.length >= 3, 60_000, "three deliveries")
    // Both instances keep polling: for a while longer, neither may send past the cap.
    await staysAsync(() => void expect(hook.deliveries.length).toBe(3), { during: 1500, every: 100 })
    const statuses = await query<{ status: string; n: number }>(
      db.url,
      "SELECT status, count(*)::int AS n FROM social_messages GROUP BY status ORDER BY status"
    )
    expect(statuses).toEqual([{ status: "queued", n: 3 }, { status: "sent", n: 3 }])
    expect(hook.deliveries).toHaveLength(3)
  }, 90_000)
})
