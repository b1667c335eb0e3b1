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

layer(serviceLayer({}), { timeout: "120 seconds", excludeTestServices: true })("The review desk", (it) => {
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
        headers: { "ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3) },
        body: { error: "RateLimitExceeded", message: "Rate Limit Exceeded" }
      })
      const { page, errors } = await session()
      await page.goto(`${url}/#/find`)
      await page.getByLabel("Platform").selectOption("bluesky")
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
        await query(databaseUrl, "DROP TABLE social_profiles CASCADE")
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
