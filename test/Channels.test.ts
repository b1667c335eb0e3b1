import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { channelSetup, type ChannelUsage, nextSendAt, retryRefusal, waitingFor } from "../src/Messages/Policy.js"
import { AppConfig } from "../src/Config.js"
import { call, pgAppLayer } from "./support/App.js"

const secret = `whsec_${Buffer.from("a test secret").toString("base64")}`

// Only the webhook channel has credentials; nothing runs a sender.
const App = pgAppLayer({ WEBHOOK_URL: "http://127.0.0.1:9/hooks/outreach?token=x", WEBHOOK_SECRET: secret }).pipe(
  Layer.tap((context) =>
    Effect.orDie(Effect.provide(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql`INSERT INTO social_profiles (platform, external_id, handle, display_name, accepts_dms) VALUES
          ('bluesky', 'did:plc:ada', 'ada.bsky.social', 'Ada', true),
          ('bluesky', 'did:plc:bob', 'bob.bsky.social', 'Bob', true)`),
      context
    )))
)

const approved = (handle: string, channel: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ id: number }>`INSERT INTO social_drafts (profile_id, channel, body, status, approved_at)
      SELECT id, ${channel}, 'Hello', 'approved', now() FROM social_profiles WHERE handle = ${handle} RETURNING id`.pipe(
      Effect.map((rows) => rows[0]!.id),
      Effect.orDie
    ))

layer(App, { timeout: "60 seconds", excludeTestServices: true })("A channel without credentials", (it) => {
  it.effect("GET /channels says which channels can send, what is missing, and as whom", () =>
    Effect.gen(function*() {
      const reply = yield* call("GET", "/api/social/channels")
      expect(reply.status).toBe(200)
      expect(reply.body).toEqual([
        { channel: "bluesky_dm", configured: false, missing: ["BLUESKY_IDENTIFIER", "BLUESKY_APP_PASSWORD"], sendsAs: null, sentLast24h: 0, dailyCap: 20, queued: 0, nextSendAt: null },
        { channel: "mastodon_dm", configured: false, missing: ["MASTODON_ACCESS_TOKEN"], sendsAs: null, sentLast24h: 0, dailyCap: 20, queued: 0, nextSendAt: null },
        { channel: "webhook", configured: true, missing: [], sendsAs: "POST to http://127.0.0.1:9", sentLast24h: 0, dailyCap: 200, queued: 0, nextSendAt: expect.any(String) }
      ])
      const openapi = yield* call("GET", "/openapi.json")
      expect(openapi.body.paths["/api/social/channels"].get).toBeDefined()
    }))

  it.effect("no draft is made for it, and an approved draft is refused with 409 ChannelNotConfigured, not queued", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const [ada] = yield* sql<{ id: number }>`SELECT id FROM social_profiles WHERE handle = 'ada.bsky.social'`.pipe(Effect.orDie)
      const drafts = yield* call("POST", "/api/social/drafts", { body: { channel: "bluesky_dm", template: "Hi {{firstName}}", profileIds: [ada!.id] } })
      expect(drafts.body).toEqual({
        created: [],
        skipped: [{ profileId: ada!.id, reason: "channel_not_configured", detail: "bluesky_dm is not configured: set BLUESKY_IDENTIFIER and BLUESKY_APP_PASSWORD" }]
      })
      const draft = yield* approved("ada.bsky.social", "bluesky_dm")
      const refused = yield* call("POST", `/api/social/drafts/${draft}/send`, { headers: { "idempotency-key": "k-1" } })
      expect(refused.status).toBe(409)
      expect(refused.body).toEqual({
        _tag: "ChannelNotConfigured",
        channel: "bluesky_dm",
        missing: ["BLUESKY_IDENTIFIER", "BLUESKY_APP_PASSWORD"],
        message: "bluesky_dm is not configured: set BLUESKY_IDENTIFIER and BLUESKY_APP_PASSWORD"
      })
      const bulk = yield* call("POST", "/api/social/messages/send", { body: { draftIds: [draft] } })
      expect(bulk.body).toMatchObject({ queued: [], refused: [{ draftId: draft, reason: "channel_not_configured" }] })
      expect((yield* call("GET", `/api/social/drafts/${draft}`)).body.status).toBe("approved")
      expect((yield* call("GET", "/api/social/messages")).body.items).toEqual([])
    }))

  it.effect("a message queued before (by an earlier version) says it waits for the settings; a failed one is not retried", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const draft = yield* approved("bob.bsky.social", "bluesky_dm")
      const [row] = yield* sql<{ id: number }>`INSERT INTO social_messages (draft_id, profile_id, channel, body, recipient)
        SELECT id, profile_id, channel, body, 'did:plc:bob' FROM social_drafts WHERE id = ${draft} RETURNING id`.pipe(Effect.orDie)
      const waiting = yield* call("GET", `/api/social/messages/${row!.id}`)
      expect(waiting.body).toMatchObject({ status: "queued", waitingFor: "not_configured", waitingDetail: expect.stringContaining("BLUESKY_APP_PASSWORD"), nextAttemptAt: null })
      yield* sql`UPDATE social_messages SET status = 'failed', error_code = 'unavailable' WHERE id = ${row!.id}`.pipe(Effect.orDie)
      const retry = yield* call("POST", `/api/social/messages/${row!.id}/retry`)
      expect(retry.status).toBe(409)
      expect(retry.body._tag).toBe("ChannelNotConfigured")
    }))

  it.effect("GET /messages?profileId= lists only the messages to that person, newest first, in pages", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO social_profiles (platform, external_id, handle) VALUES ('bluesky', 'did:plc:cy', 'cy.bsky.social')`.pipe(Effect.orDie)
      // Straight into the table, as an earlier version could have left them: three to Cy, one to Ada.
      const queue = (handle: string) =>
        Effect.flatMap(approved(handle, "webhook"), (draft) =>
          sql<{ id: number; profileId: number }>`INSERT INTO social_messages (draft_id, profile_id, channel, body, recipient)
            SELECT id, profile_id, channel, body, ${handle} FROM social_drafts WHERE id = ${draft} RETURNING id, profile_id`.pipe(
            Effect.map((rows) => rows[0]!),
            Effect.orDie
          ))
      const toCy = yield* Effect.all([queue("cy.bsky.social"), queue("ada.bsky.social"), queue("cy.bsky.social"), queue("cy.bsky.social")])
        .pipe(Effect.map((messages) => messages.filter((_, i) => i !== 1)))
      const cy = toCy[0]!.profileId
      const first = yield* call("GET", `/api/social/messages?profileId=${cy}&limit=2`)
      expect(first.status).toBe(200)
      const second = yield* call("GET", `/api/social/messages?profileId=${cy}&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`)
      const listed = [...first.body.items, ...second.body.items]
      expect(listed.map((m: { id: number }) => m.id)).toEqual(toCy.map((m) => m.id).reverse())
      expect(listed.every((m: { profileId: number; waitingFor: string | null }) => m.profileId === cy && m.waitingFor === null)).toBe(true)
      expect(second.body.nextCursor).toBeNull()
      // Together with the status filter; nobody's messages are an empty page; an id that is not one is a 400 naming it.
      expect((yield* call("GET", `/api/social/messages?profileId=${cy}&status=sent`)).body.items).toEqual([])
      expect((yield* call("GET", "/api/social/messages?profileId=987654")).body).toEqual({ items: [], nextCursor: null })
      const bad = yield* call("GET", "/api/social/messages?profileId=1e3")
      expect(bad.status).toBe(400)
      expect(bad.body.issues[0].path).toEqual(["profileId"])
    }))
})

const config = Effect.runSync(Effect.provide(AppConfig, AppConfig.fromMap({ MASTODON_ACCESS_TOKEN: "t", WEBHOOK_URL: "https://hooks.example/x", WEBHOOK_SECRET: secret })))
const setup = channelSetup(config)
const now = new Date("2026-11-26T12:00:00Z")
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000)
const Usage = Schema.Struct({
  sentLast24h: Schema.Int.pipe(Schema.between(0, 40)),
  capFreesIn: Schema.Int.pipe(Schema.between(1, 86_400)),
  spacedIn: Schema.NullOr(Schema.Int.pipe(Schema.between(-600, 600)))
})
const usageOf = (u: typeof Usage.Type): ChannelUsage => ({
  sentLast24h: u.sentLast24h,
  capFreesAt: u.sentLast24h > 0 ? at(u.capFreesIn) : null,
  spacedUntil: u.spacedIn === null ? null : at(u.spacedIn)
})
const queued = (errorCode: string | null, nextIn: number | null) => ({
  status: "queued",
  errorCode,
  errorDetail: errorCode === null ? null : "detail",
  nextAttemptAt: nextIn === null ? null : at(nextIn).toISOString()
})

describe("Why a message waits", () => {
  it("configured channels and the settings the others miss", () => {
    expect(setup.bluesky_dm).toMatchObject({ configured: false, missing: ["BLUESKY_IDENTIFIER", "BLUESKY_APP_PASSWORD"], sendsAs: null })
    expect(setup.mastodon_dm).toMatchObject({ configured: true, sendsAs: "the MASTODON_ACCESS_TOKEN account on mastodon.social" })
    expect(setup.webhook).toMatchObject({ configured: true, sendsAs: "POST to https://hooks.example" })
  })

  it.prop("a queued message that is not due always has a reason and a time after now; a due one has none", {
    usage: Usage,
    cap: Schema.Int.pipe(Schema.between(1, 30)),
    own: Schema.Literal("rate_limited", "sender_auth", "unavailable"),
    ownIn: Schema.NullOr(Schema.Int.pipe(Schema.between(-600, 3600)))
  }, ({ cap, own, ownIn, usage }) => {
    const channel = { setup: setup.webhook, usage: usageOf(usage), dailyCap: cap }
    const waiting = waitingFor(queued(ownIn === null ? null : own, ownIn), channel, now)
    const due = nextSendAt(channel.usage, cap, now)
    if (waiting === undefined) {
      expect(due).toEqual(now)
      expect(ownIn === null || ownIn <= 0).toBe(true)
    } else {
      expect(waiting.until!.getTime()).toBeGreaterThan(now.getTime())
      expect(waiting.until!.getTime()).toBeGreaterThanOrEqual(due.getTime())
      if (ownIn !== null && ownIn > 0) expect(waiting.reason).toBe(own === "unavailable" ? "retry" : own)
      else expect(waiting.reason).toBe(usage.sentLast24h >= cap ? "daily_cap" : "spacing")
    }
  })

  it("the daily cap before spacing; spacing alone; nothing for sent messages", () => {
    const capped = { setup: setup.webhook, usage: { sentLast24h: 5, capFreesAt: at(3600), spacedUntil: at(60) }, dailyCap: 5 }
    expect(waitingFor(queued(null, null), capped, now)).toEqual({ reason: "daily_cap", detail: "5 of 5 messages sent on webhook in the last 24 hours", until: at(3600) })
    const spaced = { ...capped, dailyCap: 6 }
    expect(waitingFor(queued(null, null), spaced, now)).toMatchObject({ reason: "spacing", until: at(60) })
    expect(waitingFor({ ...queued(null, null), status: "sent" }, capped, now)).toBeUndefined()
    expect(waitingFor(queued("sender_auth", 900), spaced, now)).toMatchObject({ reason: "sender_auth", until: at(900) })
  })

  it("a failed message may be retried after transient failures only", () => {
    for (const code of ["unavailable", "rate_limited", "sender_auth", "abandoned", "http_502", null]) expect(retryRefusal(code)).toBeUndefined()
    for (const code of ["MessagesDisabled", "NotFollowedBySender", "BlockedActor", "http_422", "opted_out", "replied"]) {
      expect(retryRefusal(code)).toEqual(expect.any(String))
    }
  })
})
