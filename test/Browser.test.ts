import { HttpServer } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll } from "vitest"
import { appLayer } from "./support/App.js"
import { launch, offMachine, open, type Session, screenshots } from "./support/Browser.js"
import { freshDatabase, query } from "./support/Database.js"
import { eventuallyAsync } from "./support/Eventually.js"
import { fakeMastodonStatuses } from "./support/FakeChannels.js"
import { fakeBluesky } from "./support/FakePlatforms.js"

/**
 * The review desk in a real browser (Debian's Chromium), against the whole service on a fresh PostgreSQL
 * database, with sending pointed at a fake Mastodon instance and discovery at a fake Bluesky AppView.
 */

let browser: Browser
beforeAll(async () => {
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
})

interface Fakes {
  readonly mastodon: Awaited<ReturnType<typeof fakeMastodonStatuses>>
  readonly bluesky: Awaited<ReturnType<typeof fakeBluesky>>
}
class Platforms extends Context.Tag("test/Browser/Platforms")<Platforms, Fakes>() {}
class Service extends Context.Tag("test/Browser/Service")<Service, { readonly url: string; readonly databaseUrl: string }>() {}

const PlatformsLive = Layer.scoped(
  Platforms,
  Effect.acquireRelease(
    Effect.promise(async () => ({ mastodon: await fakeMastodonStatuses("mastodon-token"), bluesky: await fakeBluesky(300) })),
    (fakes) => Effect.promise(() => Promise.all([fakes.mastodon.close(), fakes.bluesky.close()]))
  )
)

/** The service with workers and senders on a database of its own, reachable at `url`. */
const serviceLayer = (config: Record<string, string>) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const { mastodon, bluesky } = yield* Platforms
    const { url: databaseUrl } = yield* freshDatabase
    const app = appLayer({
      DATABASE_URL: databaseUrl,
      DISCOVERY_WORKERS: "1",
      DISCOVERY_POLL_INTERVAL: "50 millis",
      DISCOVERY_RETRY_BASE: "100 millis",
      BLUESKY_APPVIEW_URL: bluesky.url,
      SENDER_WORKERS: "1",
      SENDER_POLL_INTERVAL: "50 millis",
      SEND_MIN_SPACING: "0 millis",
      SEND_SPACING_JITTER: "0 millis",
      MASTODON_DEFAULT_INSTANCE: "social.example",
      MASTODON_INSTANCE_URLS: `social.example=${mastodon.url}`,
      MASTODON_ACCESS_TOKEN: "mastodon-token",
      ...config
    }, { workers: true, senders: true })
    return Layer.effect(
      Service,
      Effect.map(HttpServer.HttpServer, (server) => {
        const address = server.address as HttpServer.TcpAddress
        return { url: `http://127.0.0.1:${address.port}`, databaseUrl }
      })
    ).pipe(Layer.provideMerge(app))
  })).pipe(Layer.provideMerge(PlatformsLive))

/** A flow in plain async code, with the service and the fakes at hand. */
const flow = (run: (service: Context.Tag.Service<Service>, fakes: Fakes) => Promise<void>) =>
  Effect.gen(function*() {
    const service = yield* Service
    const fakes = yield* Platforms
    yield* Effect.promise(() => run(service, fakes))
  })

/** The API from the test's side, for setting the scene. */
const call = async (base: string, method: string, path: string, body?: unknown, token?: string) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`)
  return text.length > 0 ? JSON.parse(text) : undefined
}

const count = async (page: Page, selector: string) => page.locator(selector).count()

const waitForCount = (page: Page, selector: string, expected: number) =>
  eventuallyAsync(async () => {
    const n = await count(page, selector)
    if (n !== expected) throw new Error(`${selector}: ${n}, expected ${expected}`)
  }, { within: 15_000, what: `${expected} × ${selector}` })

/** Mastodon people imported, a draft for each written and approved through the API; the drafts' ids in the same order. */
const approvedDrafts = async (url: string, databaseUrl: string, handles: ReadonlyArray<string>) => {
  await call(url, "POST", "/api/social/profiles/import", {
    format: "json",
    profiles: handles.map((handle) => ({ platform: "mastodon", handle }))
  })
  const ids: Array<number> = []
  for (const handle of handles) {
    const [profile] = await query<{ id: number }>(databaseUrl, "SELECT id FROM social_profiles WHERE handle = $1", [handle])
    const report = await call(url, "POST", "/api/social/drafts", {
      channel: "mastodon_dm",
      template: "Hi {{firstName|there}}!",
      profileIds: [Number(profile!.id)]
    })
    const id = report.created[0].id as number
    await call(url, "POST", `/api/social/drafts/${id}/approve`, {})
    ids.push(id)
  }
  return ids
}

/** Queues the draft's message and waits until the message is as `settled` wants it. */
const sendAndSettle = async (url: string, draftId: number, settled: (message: any) => boolean) => {
  const queued = await call(url, "POST", `/api/social/drafts/${draftId}/send`)
  return eventuallyAsync(async () => {
    const message = await call(url, "GET", `/api/social/messages/${queued.id}`)
    if (!settled(message)) throw new Error(`message ${message.id}: ${message.status} ${message.waitingFor ?? ""} ${message.errorCode ?? ""}`)
    return message
  }, { within: 15_000, what: `the message of draft ${draftId}` })
}

/** Starts a discovery job through the API, as another tab would, and waits until it has finished. */
const finishedJob = async (url: string, filters: Record<string, unknown>) => {
  const { id } = await call(url, "POST", "/api/social/discover", { platform: "bluesky", filters })
  await eventuallyAsync(async () => {
    const job = await call(url, "GET", `/api/social/discover/${id}`)
    if (job.status !== "succeeded") throw new Error(`job ${id}: ${job.status}`)
  }, { what: `job ${id} finished` })
  return id as number
}

const sessions: Array<Session> = []
const session = async () => {
  const s = await open(browser)
  sessions.push(s)
  return s
}

const people = [
  "platform,handle,display_name,bio,followers_count",
  "mastodon,grace@hachyderm.io,Grace Hopper,Compilers and nanoseconds,1200",
  "mastodon,linus@fosstodon.org,Linus,Kernel hacker,900",
  "mastodon,ada@social.example,,Analytical engines,50",
  "mastodon,margaret@mathstodon.xyz,Margaret Hamilton,Software engineering,3000",
  "mastodon,,Nobody,No handle on this row,1"
].join("\n")

// Two attempts 100 ms apart: a transient failure fails soon enough to be retried from the page.
const sending = { SEND_MAX_ATTEMPTS: "2", SEND_RETRY_BASE: "100 millis" }

layer(serviceLayer(sending), { timeout: "120 seconds", excludeTestServices: true })("The review desk", (it) => {
  it.effect("import a CSV, write a template with a fallback, review by keyboard alone, send, watch them go out", () =>
    flow(async ({ databaseUrl, url }, { mastodon }) => {
      const { page, dialogs, errors } = await session()
      await page.goto(`${url}/#/import`)
      await page.getByRole("heading", { name: "Import people" }).waitFor()
      await page.getByText("API open (no token set)").waitFor()
      await page.getByLabel("File", { exact: true }).setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(people) })
      await page.getByRole("button", { name: "Import" }).click()
      await page.getByText("4 new people, 0 updated, 1 rejected").waitFor()
      // The rejected row is named by its line in the file.
      expect(await page.locator(".report tbody td").first().textContent()).toBe("6")
      await screenshots(page, "import")

      await page.getByRole("link", { name: "Write", exact: true }).click()
      await page.getByLabel("Channel").selectOption("mastodon_dm")
      await page.getByLabel("Template", { exact: true }).fill("Hi {{firstName|there}}, I enjoyed your posts on {{topic}}.")
      await page.getByRole("button", { name: "Add a field" }).click()
      await page.getByLabel("Field name").fill("topic")
      await page.getByLabel("Value").fill("computing history")
      await page.getByLabel("Platform").selectOption("mastodon")
      await page.getByLabel("Preview for").selectOption({ label: "ada@social.example (@ada@social.example)" })
      await page.getByTestId("preview").getByText("Hi there, I enjoyed your posts on computing history.").waitFor()
      // Mastodon counts the mention too: "@ada@social.example " is 20 characters.
      const counted = "Hi there, I enjoyed your posts on computing history.".length + 20
      await page.getByText(`${counted} of 500 characters, with the mention @ada@social.example`).waitFor()
      await screenshots(page, "write")
      await page.getByRole("button", { name: "Create drafts" }).click()
      await page.getByText("Created 4 drafts.").waitFor()

      await page.getByRole("link", { name: "Review them" }).click()
      await waitForCount(page, ".queue li", 4)
      await page.locator(".draft-card .person h2").waitFor()
      // Approvals come from the token, not from a field on the page.
      expect(await page.getByLabel(/Approved by/).count()).toBe(0)
      await screenshots(page, "review")

      // Keyboard only from here: edit the first, approve it, reject the second, approve the other two.
      const first = await page.getByTestId("draft-body").textContent()
      await page.keyboard.press("e")
      await page.keyboard.press("Control+A")
      await page.keyboard.type("Hello! Edited by hand before it goes.")
      await page.keyboard.press("Control+Enter")
      await page.getByText("Saved the new text.").waitFor()
      await page.keyboard.press("a")
      await waitForCount(page, ".queue .s-approved", 1)
      await page.keyboard.press("r")
      await waitForCount(page, ".queue .s-rejected", 1)
      await page.keyboard.press("a")
      await waitForCount(page, ".queue .s-approved", 2)
      await page.keyboard.press("a")
      await waitForCount(page, ".queue .s-approved", 3)
      await screenshots(page, "review-decided")

      const drafts = await query<{ status: string; body: string }>(databaseUrl, "SELECT status, body FROM social_drafts ORDER BY id")
      expect(drafts.map((d) => d.status).sort()).toEqual(["approved", "approved", "approved", "rejected"])
      expect(drafts.filter((d) => d.body === "Hello! Edited by hand before it goes.")).toHaveLength(1)
      expect(drafts.some((d) => d.body === first)).toBe(false)

      await page.getByRole("button", { name: "Send 3 approved messages" }).click()
      await page.getByText("Queued 3 messages.").waitFor()
      await page.getByRole("link", { name: "Watch them in the Outbox" }).click()
      await eventuallyAsync(async () => {
        const sent = await page.locator(".messages .s-sent").count()
        if (sent !== 3) throw new Error(`${sent} shown as sent`)
      }, { within: 20_000, what: "three messages shown as sent" })
      await screenshots(page, "outbox")

      const rejected = await query<{ handle: string }>(
        databaseUrl,
        "SELECT p.handle FROM social_drafts d JOIN social_profiles p ON p.id = d.profile_id WHERE d.status = 'rejected'"
      )
      const approvedHandles = ["grace@hachyderm.io", "linus@fosstodon.org", "ada@social.example", "margaret@mathstodon.xyz"]
        .filter((h) => h !== rejected[0]!.handle)
      // Each approved person got exactly one status; the rejected one none.
      for (const handle of approvedHandles) {
        expect(mastodon.statuses.filter((s) => s.status.startsWith(`@${handle} `))).toHaveLength(1)
      }
      expect(mastodon.statuses.filter((s) => s.status.startsWith(`@${rejected[0]!.handle} `))).toHaveLength(0)
      expect(mastodon.statuses.filter((s) => s.status.endsWith("Hello! Edited by hand before it goes."))).toHaveLength(1)
      expect(mastodon.statuses.every((s) => s.visibility === "direct")).toBe(true)
      expect(dialogs).toEqual([])
      expect(errors).toEqual([])
    }))

  it.effect("a double-clicked send sends once, with one idempotency key", () =>
    flow(async ({ databaseUrl, url }, { mastodon }) => {
      await call(url, "POST", "/api/social/profiles/import", {
        format: "json",
        profiles: [{ platform: "mastodon", handle: "barbara@types.example", displayName: "Barbara Liskov" }]
      })
      const [profile] = await query<{ id: number }>(databaseUrl, "SELECT id FROM social_profiles WHERE handle = 'barbara@types.example'")
      const report = await call(url, "POST", "/api/social/drafts", {
        channel: "mastodon_dm",
        template: "Hi {{firstName}}, one message only.",
        profileIds: [Number(profile!.id)]
      })
      const draftId = report.created[0].id as number
      await call(url, "POST", `/api/social/drafts/${draftId}/approve`, {})

      const { page, requests, errors } = await session()
      // A slow network: the second click lands while the first request is still on its way.
      await page.route("**/api/social/drafts/*/send", async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 400))
        await route.continue()
      })
      await page.goto(`${url}/#/review`)
      const send = page.getByRole("button", { name: "Send 1 approved message" })
      await send.dblclick()
      await page.getByText("Queued 1 message.").waitFor()
      await eventuallyAsync(async () => {
        const [message] = await query<{ status: string }>(databaseUrl, "SELECT status FROM social_messages WHERE draft_id = $1", [draftId])
        if (message?.status !== "sent") throw new Error(`message ${message?.status}`)
      }, { what: "the message sent" })
      await screenshots(page, "double-click-send")

      expect(await query(databaseUrl, "SELECT id FROM social_messages WHERE draft_id = $1", [draftId])).toHaveLength(1)
      expect(mastodon.statuses.filter((s) => s.status.startsWith("@barbara@types.example "))).toHaveLength(1)
      const sends = requests.filter((r) => r.method === "POST" && r.url.endsWith(`/api/social/drafts/${draftId}/send`))
      expect(sends.length).toBeGreaterThanOrEqual(1)
      expect(new Set(sends.map((r) => r.headers["idempotency-key"])).size).toBe(1)
      expect(sends[0]!.headers["idempotency-key"]).toMatch(/^[0-9a-f]{32}-\d+$/)
      expect(errors).toEqual([])
    }))

  it.effect("a discovery job's progress moves on the page, through a rate-limit wait", () =>
    flow(async ({ url }, { bluesky }) => {
      bluesky.inject("/xrpc/app.bsky.actor.searchActors", {
        kind: "status",
        status: 429,
        // Counted from the request, not from now: on a busy machine the page may take seconds to get there.
        headers: () => ({ "ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": String(Math.floor(Date.now() / 1000) + 5) }),
        body: { error: "RateLimitExceeded", message: "Rate Limit Exceeded" }
      })
      const { page, errors } = await session()
      await page.goto(`${url}/#/find`)
      await page.locator("form").getByLabel("Platform").selectOption("bluesky")
      await page.getByLabel("Search words").fill("rustaceans")
      await page.getByLabel("At most this many people").fill("300")
      await page.getByRole("button", { name: "Start finding" }).click()
      const job = page.locator(".jobs > li").first()
      await job.getByText("waiting for the platform's rate limit").waitFor()
      await job.getByText(/Resumes at .+ \((in \d+ s|\d+ s ago)\)/).waitFor()
      await job.getByText("The platform said:").waitFor()
      await screenshots(page, "find-rate-limited")
      await job.locator(".chip", { hasText: "finished" }).waitFor({ timeout: 30_000 })
      await job.getByText("3 pages · 300 found, 300 new").waitFor()
      await screenshots(page, "find-finished")
      expect(errors).toEqual([])
    }))

  it.effect("bios, names and handles are shown as text and run nothing", () =>
    flow(async ({ databaseUrl, url }) => {
      const bio = `<img src=x onerror=alert(1)> and <script>alert(2)</script> "quoted" & more`
      await call(url, "POST", "/api/social/profiles/import", {
        format: "json",
        profiles: [{
          platform: "mastodon",
          handle: "eve@evil.example",
          displayName: "<b onmouseover=alert(3)>Eve</b>",
          bio,
          url: "javascript:alert(4)"
        }]
      })
      const [eve] = await query<{ id: number }>(databaseUrl, "SELECT id FROM social_profiles WHERE handle = 'eve@evil.example'")
      await call(url, "POST", "/api/social/drafts", { channel: "mastodon_dm", template: "About you: {{bio}}", profileIds: [Number(eve!.id)] })

      const { page, dialogs, requests, errors } = await session()
      await page.goto(`${url}/#/people/${eve!.id}`)
      await page.getByTestId("bio").waitFor()
      expect(await page.getByTestId("bio").textContent()).toBe(bio)
      await page.getByRole("link", { name: "<b onmouseover=alert(3)>Eve</b>" }).waitFor()
      // A javascript: URL from a profile is not made a link.
      expect(await page.locator("a[href^='javascript']").count()).toBe(0)
      await screenshots(page, "untrusted-person")

      await page.goto(`${url}/#/review`)
      await page.locator(".draft-card .person h2").waitFor()
      expect(await page.getByTestId("draft-body").textContent()).toBe(`About you: ${bio}`)
      await page.locator(".draft-card").hover()
      await screenshots(page, "untrusted-review")

      await page.goto(`${url}/#/write`)
      await page.getByLabel("Template", { exact: true }).fill("{{displayName}}: {{bio}}")
      await page.getByLabel("Name or handle contains").fill("eve")
      await page.getByTestId("preview").getByText(bio, { exact: false }).waitFor()

      // Page-side expressions as strings: this file is type-checked without the DOM library.
      expect(await page.evaluate(`document.querySelectorAll("img, script:not([src]), b, [onerror], [onmouseover]").length`)).toBe(0)
      expect(dialogs).toEqual([])
      expect(requests.filter((r) => new URL(r.url).pathname === "/x")).toEqual([])
      expect(errors).toEqual([])
    }))

  it.effect("the outbox says why a message waits and when it goes next; cancel, retry, a permanent failure refused in words; the channels", () =>
    flow(async ({ databaseUrl, url }, { mastodon }) => {
      const [waiter, flaky, refused] = await approvedDrafts(url, databaseUrl, [
        "wanda@social.example",
        "fred@social.example",
        "rita@social.example"
      ])
      // Each message meets its fault in turn: a rate limit, two 503s (both attempts), a refusal no retry cures.
      mastodon.faults.push({ status: 429, headers: { "retry-after": "600" }, body: { error: "Too many requests" } })
      const waiting = await sendAndSettle(url, waiter!, (m) => m.waitingFor === "rate_limited")
      mastodon.faults.push({ status: 503, headers: {}, body: { error: "down" } }, { status: 503, headers: {}, body: { error: "down" } })
      const failed = await sendAndSettle(url, flaky!, (m) => m.status === "failed")
      mastodon.faults.push({ status: 422, headers: {}, body: { error: "Validation failed: Text is too long" } })
      const permanent = await sendAndSettle(url, refused!, (m) => m.status === "failed")
      expect(failed).toMatchObject({ errorCode: "unavailable", attempts: 2 })

      const { page, errors } = await session()
      await page.goto(`${url}/#/outbox`)
      // The channels: one that sends, as whom, today's use against its cap; one that cannot, and what it needs.
      const mastodonChannel = page.getByTestId("channel-mastodon_dm")
      await mastodonChannel.getByText("set up", { exact: true }).waitFor()
      await mastodonChannel.getByText("the MASTODON_ACCESS_TOKEN account on social.example").waitFor()
      await mastodonChannel.getByText(/^Today: \d+ \/ 20 sent in the last 24 h/).waitFor()
      await mastodonChannel.getByText(/^Next send: /).waitFor()
      const bluesky = page.getByTestId("channel-bluesky_dm")
      await bluesky.getByText("not set up").waitFor()
      expect(await bluesky.locator(".missing").textContent()).toBe(
        "To send, set BLUESKY_IDENTIFIER and BLUESKY_APP_PASSWORD in the service's environment and restart it."
      )

      // Why the first waits, and until when.
      const waitingItem = page.getByTestId(`message-${waiting.id}`)
      await waitingItem.getByText(/^Waiting: The platform's rate limit: .*Too many requests/).waitFor()
      await waitingItem.getByText(/^Goes next at .+ \(in (9|10) min\)\.$/).waitFor()
      await screenshots(page, "outbox-waiting")

      // Cancelled: the message is gone and its draft is approved again.
      await waitingItem.getByRole("button", { name: `Cancel message ${waiting.id}` }).click()
      await page.getByText(`Cancelled message ${waiting.id}: draft ${waiter} is approved again`).waitFor()
      await waitForCount(page, `[data-testid="message-${waiting.id}"]`, 0)
      expect((await call(url, "GET", `/api/social/drafts/${waiter}`)).status).toBe("approved")

      // A transient failure, retried from the page, goes out once.
      const failedItem = page.getByTestId(`message-${failed.id}`)
      await failedItem.getByText(/^Failed: the platform did not answer/).waitFor()
      await failedItem.getByRole("button", { name: `Retry message ${failed.id}` }).click()
      await failedItem.locator(".chip.s-sent").waitFor({ timeout: 15_000 })
      expect(mastodon.statuses.filter((s) => s.status.startsWith("@fred@social.example "))).toHaveLength(1)

      // A permanent one is refused, in the service's words, and stays failed.
      const permanentItem = page.getByTestId(`message-${permanent.id}`)
      await permanentItem.getByRole("button", { name: `Retry message ${permanent.id}` }).click()
      await permanentItem.getByRole("alert").getByText(/^Not done: It failed with .+, which a retry would meet again\.$/).waitFor()
      expect((await call(url, "GET", `/api/social/messages/${permanent.id}`)).status).toBe("failed")
      await screenshots(page, "outbox-actions")
      // Chromium logs the refusal's status on its own; nothing else may be there.
      expect(errors.filter((e) => !e.endsWith("status of 409 (Conflict)"))).toEqual([])
      expect(errors).toHaveLength(1)
    }))

  it.effect("the jobs list shows jobs started elsewhere, with their progress and waits, and cancels one", () =>
    flow(async ({ url }, { bluesky }) => {
      const elsewhere = await finishedJob(url, { query: "elsewhere", limit: 50 })

      const { page, errors } = await session()
      await page.goto(`${url}/#/find`)
      const first = page.getByTestId(`job-${elsewhere}`)
      await first.locator(".chip", { hasText: "finished" }).waitFor()
      await first.getByText("1 page · 50 found, 50 new").waitFor()

      // Started in another tab while this one is open: it shows up, waiting for the platform's rate limit.
      bluesky.inject("/xrpc/app.bsky.actor.searchActors", {
        kind: "status",
        status: 429,
        headers: { "ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": String(Math.floor(Date.now() / 1000) + 600) },
        body: { error: "RateLimitExceeded", message: "Rate Limit Exceeded" }
      })
      const limited = (await call(url, "POST", "/api/social/discover", { platform: "bluesky", filters: { query: "later", limit: 50 } })).id
      const second = page.getByTestId(`job-${limited}`)
      await second.getByText("waiting for the platform's rate limit").waitFor({ timeout: 15_000 })
      await second.getByText(/^Resumes at .+ \(in (9|10) min\)$/).waitFor()
      await second.getByText("The platform said:").waitFor()
      // Newest first.
      expect(await page.locator(".jobs > li").first().getAttribute("data-testid")).toBe(`job-${limited}`)
      await screenshots(page, "jobs")

      // Filtered by status and platform, on the service's side.
      const filters = page.locator("section .filters")
      await filters.getByRole("combobox", { name: /^Status/ }).selectOption("succeeded")
      await waitForCount(page, `[data-testid="job-${limited}"]`, 0)
      await first.waitFor()
      await filters.getByRole("combobox", { name: /^Platform/ }).selectOption("github")
      await page.getByText("No job matches.").waitFor()
      await filters.getByRole("combobox", { name: /^Platform/ }).selectOption("")
      await filters.getByRole("combobox", { name: /^Status/ }).selectOption("")

      await second.getByRole("button", { name: `Cancel job ${limited}` }).click()
      await second.locator(".chip", { hasText: "cancelled" }).waitFor()
      expect((await call(url, "GET", `/api/social/discover/${limited}`)).status).toBe("cancelled")
      await screenshots(page, "jobs-cancelled")
      expect(errors).toEqual([])
    }))

  it.effect("a person's page: where they were found, every message to them, archive", () =>
    flow(async ({ databaseUrl, url }) => {
      const job = await finishedJob(url, { query: "archivable", limit: 3 })
      const [found] = await query<{ id: number }>(databaseUrl, "SELECT id FROM social_profiles WHERE handle = 'archivable1.bsky.social'")
      const [draft] = await approvedDrafts(url, databaseUrl, ["mia@social.example"])
      const sent = await sendAndSettle(url, draft!, (m) => m.status === "sent")

      const { page, errors } = await session()
      await page.goto(`${url}/#/people/${sent.profileId}`)
      await page.getByTestId("provenance").getByText("Imported from a file").waitFor()
      // Their messages, and only theirs.
      await page.getByTestId(`message-${sent.id}`).locator(".chip.s-sent").waitFor()
      expect(await page.locator(".messages > li").count()).toBe(1)
      await screenshots(page, "person-messages")

      await page.goto(`${url}/#/people/${found!.id}`)
      await page.getByText("Nothing sent to them.").waitFor()
      await page.getByTestId("provenance").getByRole("link", { name: `discovery job ${job}` }).click()
      await page.getByRole("heading", { name: `Job ${job}` }).waitFor()
      await page.getByTestId(`job-${job}`).first().getByText("1 page · 3 found, 3 new").waitFor()

      await page.goBack()
      await page.getByRole("button", { name: "Archive", exact: true }).click()
      await page.getByRole("button", { name: "Archived", exact: true }).waitFor()
      await screenshots(page, "person-archived")
      expect((await call(url, "GET", `/api/social/profiles/${found!.id}`)).status).toBe("archived")
      // Out of the list, unless the status filter asks for them.
      await page.goto(`${url}/#/people`)
      await page.getByLabel("Name or handle contains").fill("archivable")
      await page.getByRole("button", { name: "Search" }).click()
      await waitForCount(page, "table.list tbody tr", 2)
      expect(await page.getByRole("link", { name: "Person 1", exact: true }).count()).toBe(0)
      await page.getByLabel("Status").selectOption("archived")
      await waitForCount(page, "table.list tbody tr", 1)
      await page.getByRole("link", { name: "Person 1", exact: true }).waitFor()
      expect(errors).toEqual([])
    }))

  it.effect("a channel that is not set up: the Write screen says which settings, a send is refused in those words", () =>
    flow(async ({ databaseUrl, url }) => {
      await call(url, "POST", "/api/social/profiles/import", {
        format: "json",
        profiles: [{ platform: "bluesky", handle: "oscar.bsky.social", externalId: "did:plc:oscar", displayName: "Oscar" }]
      })
      const { page, errors } = await session()
      await page.goto(`${url}/#/write`)
      await page.getByLabel("Channel").selectOption("bluesky_dm")
      await page.getByTestId("channel-not-set-up").getByText("set BLUESKY_IDENTIFIER and BLUESKY_APP_PASSWORD").waitFor()
      await page.getByLabel("Template", { exact: true }).fill("Hi {{firstName}}")
      await page.getByLabel("Name or handle contains").fill("oscar")
      await page.getByTestId("preview").getByText("Hi Oscar").waitFor()
      await page.getByRole("button", { name: "Create drafts" }).click()
      const report = page.locator(".report")
      await report.getByText("Created 0 drafts, skipped 1 person.").waitFor()
      await report.getByText(/No draft is made on a channel this server cannot send on.+set BLUESKY_IDENTIFIER and BLUESKY_APP_PASSWORD/).waitFor()
      await report.getByText("the channel is not set up on this server").waitFor()
      await screenshots(page, "write-not-set-up")

      // A draft approved before the settings went away (as an earlier version could leave one).
      const [draft] = await query<{ id: number }>(
        databaseUrl,
        `INSERT INTO social_drafts (profile_id, channel, body, status, approved_at)
         SELECT id, 'bluesky_dm', 'Hi Oscar', 'approved', now() FROM social_profiles WHERE handle = 'oscar.bsky.social' RETURNING id`
      )
      await page.goto(`${url}/#/review`)
      await page.getByRole("button", { name: /^Send \d+ approved messages?$/ }).click()
      await page.getByText(
        `Draft ${draft!.id} not sent: The Bluesky direct message channel is not set up on this server: set BLUESKY_IDENTIFIER and ` +
          "BLUESKY_APP_PASSWORD in the service's environment and restart it."
      ).waitFor()
      expect((await call(url, "GET", `/api/social/drafts/${draft!.id}`)).status).toBe("approved")
      await screenshots(page, "send-not-set-up")
      expect(errors.filter((e) => !e.endsWith("status of 409 (Conflict)"))).toEqual([])
    }))

  it.effect("no request left 127.0.0.1", () =>
    Effect.sync(() => {
      expect(sessions.flatMap((s) => s.requests).length).toBeGreaterThan(20)
      expect(sessions.flatMap(offMachine)).toEqual([])
    }))
})

layer(serviceLayer({ API_TOKEN: "the-right-token" }), { timeout: "120 seconds", excludeTestServices: true })(
  "The review desk behind API_TOKEN",
  (it) => {
    it.effect("asks for the token once, says when it is wrong, keeps it for the browser session only", () =>
      flow(async ({ url }) => {
        const { context, page, requests, errors } = await session()
        await page.goto(url)
        await page.getByLabel("API token").waitFor()
        await screenshots(page, "token")
        await page.getByLabel("API token").fill("a-wrong-token")
        await page.getByRole("button", { name: "Use this token" }).click()
        await page.getByText("Wrong token: the service refused it.").waitFor()
        await screenshots(page, "token-wrong")
        await page.getByLabel("API token").fill("the-right-token")
        await page.getByRole("button", { name: "Use this token" }).click()
        await page.getByText("Token in use").waitFor()

        // Asked once: a reload in the same tab keeps it; a new browser session asks again.
        await page.reload()
        await page.getByText("Token in use").waitFor()
        expect(await page.evaluate(`sessionStorage.getItem("social-outreach.api-token")`)).toBe("the-right-token")
        expect(await page.evaluate(`localStorage.getItem("social-outreach.api-token")`)).toBeNull()
        expect(await context.cookies()).toEqual([])
        const authorized = requests.filter((r) => r.url.includes("/api/") && r.headers["authorization"] === "Bearer the-right-token")
        expect(authorized.length).toBeGreaterThan(0)
        const fresh = await session()
        await fresh.page.goto(url)
        await fresh.page.getByLabel("API token").waitFor()
        expect(errors.filter((e) => !e.includes("401"))).toEqual([])
      }))

    it.effect("tables gone under the running service: the page says which, and the command that fixes it", () =>
      flow(async ({ databaseUrl, url }) => {
        // The service's workers poll these tables: the DROP may deadlock with one of their statements, and is tried again.
        await eventuallyAsync(() => query(databaseUrl, "DROP TABLE social_profiles CASCADE"), { within: 10_000, what: "social_profiles dropped" })
        const { page } = await session()
        await page.goto(url)
        await page.getByLabel("API token").fill("the-right-token")
        await page.getByRole("button", { name: "Use this token" }).click()
        const banner = page.locator(".banner")
        await banner.waitFor()
        expect(await banner.textContent()).toContain("social_profiles")
        expect(await banner.textContent()).toContain("npm run migrate")
        await screenshots(page, "tables-missing")
      }))

    it.effect("no request left 127.0.0.1", () =>
      Effect.sync(() => {
        expect(sessions.flatMap(offMachine)).toEqual([])
      }))
  }
)
