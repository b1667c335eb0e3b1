import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { MessageWorker } from "../src/Messages/Worker.js"
import { Webhook } from "standardwebhooks"
import { UserAgent } from "../src/PlatformClient.js"
import { call, pgAppLayer, type Reply } from "./support/App.js"
import { ensure, eventually, stays } from "./support/Eventually.js"
import { fakeBlueskyPds, fakeMastodonStatuses, webhookReceiver } from "./support/FakeChannels.js"

const secret = `whsec_${Buffer.from("a test secret of thirty-two bytes").toString("base64")}`

type Fakes = {
  readonly pds: Awaited<ReturnType<typeof fakeBlueskyPds>>
  readonly mastodon: Awaited<ReturnType<typeof fakeMastodonStatuses>>
  readonly hook: Awaited<ReturnType<typeof webhookReceiver>>
}
class Channels extends Context.Tag("test/Channels")<Channels, Fakes>() {}

const ChannelsLive = Layer.scoped(
  Channels,
  Effect.acquireRelease(
    Effect.promise(async () => ({ pds: await fakeBlueskyPds(), mastodon: await fakeMastodonStatuses("mastodon-token"), hook: await webhookReceiver(secret) })),
    (fakes) => Effect.promise(() => Promise.all([fakes.pds.close(), fakes.mastodon.close(), fakes.hook.close()]))
  )
)

const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    INSERT INTO social_profiles (platform, external_id, handle, display_name)
    SELECT 'github', 'gh' || n, 'person' || n, 'Person ' || n FROM generate_series(1, 20) AS n`
  yield* sql`
    INSERT INTO social_profiles (platform, external_id, handle, display_name, accepts_dms) VALUES
      ('bluesky', 'did:plc:alice', 'alice.bsky.social', 'Alice', true),
      ('bluesky', 'did:plc:bob', 'bob.bsky.social', 'Bob', true),
      ('bluesky', 'did:plc:carol', 'carol.bsky.social', 'Carol', true),
      ('bluesky', 'did:plc:nodms', 'nodms.bsky.social', 'Nobody', null),
      ('bluesky', 'did:plc:dave', 'dave.bsky.social', 'Dave', true),
      ('mastodon', 'grace@hachyderm.io', 'grace@hachyderm.io', 'Grace', null),
      ('mastodon', 'linus@fosstodon.org', 'linus@fosstodon.org', 'Linus', null),
      ('bluesky', 'did:plc:follow', 'follow.bsky.social', 'Only Followers', null),
      ('bluesky', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'erin.bsky.social', 'Erin', true),
      ('bluesky', 'did:plc:z72i7hdynmk6r22z27h6tvur', 'frank.bsky.social', 'Frank', true),
      ('bluesky', 'did:plc:q6gjnaw2blty4crticxkmujt', 'gina.bsky.social', 'Gina', true),
      ('mastodon', 'hal@hachyderm.io', 'hal@hachyderm.io', 'Hal', null),
      ('mastodon', 'ivy@hachyderm.io', 'ivy@hachyderm.io', 'Ivy', null)`
})

const App = Layer.unwrapEffect(
  Effect.map(Channels, (fakes) =>
    pgAppLayer({
      SENDER_WORKERS: "1",
      SENDER_POLL_INTERVAL: "50 millis",
      SENDER_LEASE: "2 seconds",
      SEND_RETRY_BASE: "100 millis",
      SEND_MIN_SPACING: "0 millis",
      SEND_SPACING_JITTER: "0 millis",
      SEND_CAP_WEBHOOK: "6",
      BLUESKY_PDS_URL: fakes.pds.url,
      BLUESKY_IDENTIFIER: "sender.test",
      BLUESKY_APP_PASSWORD: "app-password",
      MASTODON_DEFAULT_INSTANCE: "social.example",
      MASTODON_INSTANCE_URLS: `social.example=${fakes.mastodon.url}`,
      MASTODON_ACCESS_TOKEN: "mastodon-token",
      WEBHOOK_URL: `${fakes.hook.url}/hooks/outreach`,
      WEBHOOK_SECRET: secret,
      REPLY_CHECK_INTERVAL: "100 millis",
      SEND_REQUEST_TIMEOUT: "700 millis"
    }))
).pipe(Layer.tap((context) => Effect.orDie(Effect.provide(seed, context))), Layer.provideMerge(ChannelsLive))

const approved = (handle: string, channel: string, body: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ id: number }>`INSERT INTO social_drafts (profile_id, channel, body, status, approved_at)
      SELECT id, ${channel}, ${body}, 'approved', now() FROM social_profiles WHERE handle = ${handle} RETURNING id`.pipe(
      Effect.map((rows) => rows[0]!.id),
      Effect.orDie
    ))

const send = (draftId: number, key?: string) =>
  call("POST", `/api/social/drafts/${draftId}/send`, key ? { headers: { "idempotency-key": key } } : {})

const deliveryKey = (id: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ deliveryKey: string }>`SELECT delivery_key FROM social_messages WHERE id = ${id}`.pipe(
      Effect.map((rows) => rows[0]!.deliveryKey),
      Effect.orDie
    ))

/** The message, once it is sent or has failed. */
const settled = (id: number) =>
  eventually(
    Effect.flatMap(call("GET", `/api/social/messages/${id}`), (reply: Reply) =>
      Effect.as(ensure(reply.body.status === "sent" || reply.body.status === "failed", `message ${id} is ${reply.body.status}`), reply.body)),
    { within: "20 seconds", what: `message ${id} to settle` }
  ).pipe(Effect.orDie)

/** Runs the sender for the duration of `body`, as a started instance would. */
const withSender = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.zipRight(Layer.build(MessageWorker.Default), body))

layer(App, { timeout: "60 seconds", excludeTestServices: true })("Sending through real channel formats", (it) => {
  it.effect("concurrent sends with one Idempotency-Key (and a repeat without) queue one message; the webhook gets it signed, once", () =>
    Effect.gen(function*() {
      const { hook } = yield* Channels
      const draft = yield* approved("person1", "webhook", "Hello Person 1")
      const replies = yield* Effect.all([send(draft, "key-1"), send(draft, "key-1"), send(draft, "key-1"), send(draft)], { concurrency: "unbounded" })
      expect(replies.map((r) => r.status)).toEqual([202, 202, 202, 202])
      expect(new Set(replies.map((r) => r.body.id)).size).toBe(1)
      const other = yield* approved("person2", "webhook", "Hello Person 2")
      const reused = yield* send(other, "key-1")
      expect(reused.status).toBe(409)
      expect(reused.body.reason).toBe("idempotency_key_reused")

      const message = yield* withSender(settled(replies[0]!.body.id))
      expect(message).toMatchObject({ status: "sent", attempts: 1, channel: "webhook" })
      const delivered = hook.deliveries.filter((d) => d.payload.data.messageId === message.id)
      expect(delivered).toHaveLength(1)
      expect(delivered[0]!.payload.data).toMatchObject({ text: "Hello Person 1", profile: { handle: "person1", platform: "github" } })
      expect(message.providerMessageId).toBe(delivered[0]!.id)
      expect(hook.rejected).toEqual([])
      const [profile] = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql<{ status: string }>`SELECT status FROM social_profiles WHERE handle = 'person1'`).pipe(Effect.orDie)
      expect(profile!.status).toBe("contacted")
    }))

  it.effect("a receiver that fails (503) gets the same delivery again after a backoff", () =>
    Effect.gen(function*() {
      const { hook } = yield* Channels
      hook.failNext(2)
      const draft = yield* approved("person7", "webhook", "Hi 7")
      const message = yield* withSender(Effect.flatMap(send(draft), (r) => settled(r.body.id)))
      expect(message).toMatchObject({ status: "sent", attempts: 3 })
      expect(hook.deliveries.filter((d) => d.payload.data.messageId === message.id)).toHaveLength(1)
    }))

  it.effect("a receiver that does not answer in time is tried again with the same webhook-id", () =>
    Effect.gen(function*() {
      const { hook } = yield* Channels
      hook.delayNext(1500)
      const draft = yield* approved("person8", "webhook", "Hi 8")
      const message = yield* withSender(Effect.flatMap(send(draft), (r) => settled(r.body.id)))
      expect(message).toMatchObject({ status: "sent", attempts: 2 })
      // The slow first attempt arrives too, with the same webhook-id: the receiver keeps one delivery.
      const id = `msg_${(yield* deliveryKey(message.id))}`
      yield* eventually(Effect.suspend(() => ensure(hook.requests.filter((r) => r.headers["webhook-id"] === id).length === 2, "the first attempt has not arrived")))
      expect(hook.deliveries.filter((d) => d.payload.data.messageId === message.id)).toHaveLength(1)
    }))

  it.effect("a suppression entry by DID, @handle, profile URL or @user@host stops sends that were already approved or queued", () =>
    Effect.gen(function*() {
      const { pds } = yield* Channels
      const suppress = (platform: string, handle: string) =>
        Effect.map(call("POST", "/api/social/suppressions", { body: { platform, handle } }), (r) => {
          expect(r.status).toBe(201)
          return r.body
        })
      const erin = yield* approved("erin.bsky.social", "bluesky_dm", "Hi Erin")
      const frank = yield* approved("frank.bsky.social", "bluesky_dm", "Hi Frank")
      const hal = yield* approved("hal@hachyderm.io", "mastodon_dm", "Hi Hal")
      expect(yield* suppress("bluesky", "did:plc:EWVI7nxzyoun6zhxrhs64oiz")).toMatchObject({
        handle: "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
        externalId: "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
      })
      expect(yield* suppress("bluesky", "@Frank.bsky.social")).toMatchObject({
        handle: "frank.bsky.social",
        externalId: "did:plc:z72i7hdynmk6r22z27h6tvur"
      })
      yield* suppress("mastodon", "@Hal@Hachyderm.io")
      for (const draft of [erin, frank, hal]) {
        const refused = yield* send(draft)
        expect(refused.status).toBe(409)
        expect(refused.body).toMatchObject({ _tag: "SendRefused", reason: "opted_out" })
      }
      // Queued before the entry arrived: dropped right before the call.
      const gina = yield* approved("gina.bsky.social", "bluesky_dm", "Hi Gina")
      const queued = yield* send(gina)
      expect(queued.status).toBe(202)
      yield* suppress("bluesky", "https://bsky.app/profile/did:plc:q6gjnaw2blty4crticxkmujt")
      const message = yield* withSender(settled(queued.body.id))
      expect(message).toMatchObject({ status: "failed", errorCode: "opted_out" })
      expect(pds.state.messages.some((m) => m.text.startsWith("Hi Gina"))).toBe(false)
      const invalid = yield* call("POST", "/api/social/suppressions", { body: { platform: "mastodon", handle: "@alone" } })
      expect(invalid.status).toBe(400)
      expect(JSON.stringify(invalid.body)).toContain("user@host")
    }))

  it.effect("a draft that is not approved, or whose person opted out, is refused", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const draft = yield* approved("person3", "webhook", "Hi")
      yield* sql`UPDATE social_drafts SET status = 'draft' WHERE id = ${draft}`.pipe(Effect.orDie)
      const notApproved = yield* send(draft)
      expect(notApproved.status).toBe(409)
      expect(notApproved.body).toMatchObject({ _tag: "SendRefused", reason: "not_approved" })
      const optedOut = yield* approved("person4", "webhook", "Hi")
      const [profile] = yield* sql<{ id: number }>`SELECT id::int FROM social_profiles WHERE handle = 'person4'`.pipe(Effect.orDie)
      yield* call("POST", `/api/social/profiles/${profile!.id}/opt-out`, { body: {} })
      expect((yield* send(optedOut)).body.reason).toBe("opted_out")
      expect((yield* send(987654)).status).toBe(404)
    }))

  it.effect("an opt-out that arrives after the message was queued is honoured at send time", () =>
    Effect.gen(function*() {
      const { hook } = yield* Channels
      const sql = yield* SqlClient.SqlClient
      const draft = yield* approved("person5", "webhook", "Hi 5")
      const queued = yield* send(draft)
      const [profile] = yield* sql<{ id: number }>`SELECT id::int FROM social_profiles WHERE handle = 'person5'`.pipe(Effect.orDie)
      yield* call("POST", `/api/social/profiles/${profile!.id}/opt-out`, { body: { reason: "STOP" } })
      const message = yield* withSender(settled(queued.body.id))
      expect(message).toMatchObject({ status: "failed", errorCode: "opted_out" })
      expect(hook.deliveries.some((d) => d.payload.data.messageId === message.id)).toBe(false)
    }))

  it.effect("Mastodon: a direct status that mentions the full handle, with the provider's Idempotency-Key", () =>
    Effect.gen(function*() {
      const { mastodon } = yield* Channels
      const draft = yield* approved("grace@hachyderm.io", "mastodon_dm", "Loved your talk on compilers.")
      const message = yield* withSender(Effect.flatMap(send(draft), (r) => settled(r.body.id)))
      expect(message.status).toBe("sent")
      const status = mastodon.statuses.find((s) => s.id === message.providerMessageId)!
      expect(status).toMatchObject({ status: "@grace@hachyderm.io Loved your talk on compilers.", visibility: "direct" })
      expect(status.key).toMatch(/^[0-9a-f-]{36}$/)
    }))

  it.effect("Bluesky: one login for many messages, a refresh when the session expires, provider refusals kept as the reason", () =>
    Effect.gen(function*() {
      const { pds } = yield* Channels
      const drafts = yield* Effect.all(["alice", "bob"].map((name) => approved(`${name}.bsky.social`, "bluesky_dm", `Hi ${name}`)))
      const refused = yield* approved("nodms.bsky.social", "bluesky_dm", "Hi")
      const results = yield* withSender(Effect.gen(function*() {
        const first = yield* Effect.flatMap(send(drafts[0]!), (r) => settled(r.body.id))
        pds.expireAccess()
        const second = yield* Effect.flatMap(send(drafts[1]!), (r) => settled(r.body.id))
        const third = yield* Effect.flatMap(send(refused), (r) => settled(r.body.id))
        return [first, second, third] as const
      }))
      expect(results[0]).toMatchObject({ status: "sent" })
      expect(results[1]).toMatchObject({ status: "sent" })
      expect(results[2]).toMatchObject({ status: "failed", errorCode: "MessagesDisabled" })
      expect(pds.state.logins).toBe(1)
      expect(pds.state.refreshes).toBe(1)
      expect(pds.state.messages.map((m) => [m.convoId, m.text])).toEqual([["convo-did:plc:alice", "Hi alice"], ["convo-did:plc:bob", "Hi bob"]])
      expect(pds.state.proxyHeaders.every((h) => h === "did:web:api.bsky.chat#bsky_chat")).toBe(true)
    }))

  it.effect("a crash between the provider's answer and our write does not send twice (webhook id, Bluesky conversation)", () =>
    Effect.gen(function*() {
      const { hook, pds } = yield* Channels
      const sql = yield* SqlClient.SqlClient
      // As a process that died right after delivering would leave them: 'sending', lease run out.
      const hookDraft = yield* approved("person6", "webhook", "Hi 6")
      const hookMessage = (yield* send(hookDraft)).body.id
      const dmDraft = yield* approved("dave.bsky.social", "bluesky_dm", "Hi dave")
      const dmMessage = (yield* send(dmDraft)).body.id
      yield* sql`UPDATE social_messages SET status = 'sending', attempts = 1, sending_started_at = now() - interval '5 seconds',
        lease_owner = 'dead', lease_expires_at = now() - interval '1 second',
        conversation_id = CASE WHEN channel = 'bluesky_dm' THEN 'convo-did:plc:dave' END
        WHERE id IN (${hookMessage}, ${dmMessage})`.pipe(Effect.orDie)
      const [row] = yield* sql<{ deliveryKey: string }>`SELECT delivery_key FROM social_messages WHERE id = ${hookMessage}`.pipe(Effect.orDie)
      const id = `msg_${row!.deliveryKey}`
      const timestamp = Math.floor(Date.now() / 1000)
      const body = JSON.stringify({ type: "outreach.message", data: { messageId: hookMessage, text: "Hi 6" } })
      yield* Effect.promise(() =>
        fetch(`${hook.url}/hooks/outreach`, {
          method: "POST",
          headers: {
            "webhook-id": id,
            "webhook-timestamp": String(timestamp),
            "webhook-signature": new Webhook(secret).sign(id, new Date(timestamp * 1000), body),
            "x-sent-by": "test"
          },
          body
        }))
      pds.state.messages.push({ id: "msg-before-crash", convoId: "convo-did:plc:dave", text: "Hi dave", sender: { did: "did:plc:sender" }, sentAt: new Date().toISOString() })
      const sendsBefore = pds.state.sends

      const [hookResult, dmResult] = yield* withSender(Effect.all([settled(hookMessage), settled(dmMessage)]))
      expect(hookResult).toMatchObject({ status: "sent", attempts: 2 })
      expect(hook.deliveries.filter((d) => d.id === id)).toHaveLength(1)
      expect(dmResult).toMatchObject({ status: "sent", providerMessageId: "msg-before-crash" })
      expect(pds.state.sends).toBe(sendsBefore)
    }))

  it.effect("the daily cap holds across two sender instances; messages over it wait, queued", () =>
    Effect.gen(function*() {
      const { hook } = yield* Channels
      const sql = yield* SqlClient.SqlClient
      // The test's own last day on the channel: earlier tests' sends moved out of it, eight new people.
      yield* sql`UPDATE social_messages SET sent_at = now() - interval '25 hours', sending_started_at = now() - interval '25 hours'
        WHERE channel = 'webhook' AND status IN ('sent', 'sending')`.pipe(Effect.orDie)
      yield* sql`INSERT INTO social_profiles (platform, external_id, handle)
        SELECT 'github', 'cap' || n, 'cap' || n FROM generate_series(1, 8) AS n`.pipe(Effect.orDie)
      const room = 6
      const drafts = yield* Effect.all(Array.from({ length: 8 }, (_, n) => approved(`cap${n + 1}`, "webhook", `Hi ${n + 1}`)))
      const ids = yield* Effect.all(drafts.map((d) => Effect.map(send(d), (r) => r.body.id as number)))
      const before = hook.deliveries.length
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(MessageWorker.Default)
        yield* Layer.build(MessageWorker.Default)
        yield* eventually(Effect.flatMap(
          sql<{ n: number }>`SELECT count(*)::int AS n FROM social_messages WHERE id IN ${sql.in(ids)} AND status = 'sent'`.pipe(Effect.orDie),
          (rows) => ensure(rows[0]!.n >= room, `${rows[0]!.n} of ${room} sent`)
        ))
        // Both senders keep polling a while longer: neither may send past the cap.
        yield* stays(
          sql<{ n: number }>`SELECT count(*)::int AS n FROM social_messages WHERE id IN ${sql.in(ids)} AND status = 'sent'`.pipe(
            Effect.orDie,
            Effect.flatMap((rows) => (rows[0]!.n === room ? Effect.void : Effect.die(`${rows[0]!.n} sent, past the cap`)))
          ),
          { during: "500 millis" }
        )
      }))
      const statuses = yield* sql<{ status: string }>`SELECT status FROM social_messages WHERE id IN ${sql.in(ids)}`.pipe(Effect.orDie)
      expect(statuses.filter((s) => s.status === "sent")).toHaveLength(room)
      expect(statuses.filter((s) => s.status === "queued")).toHaveLength(8 - room)
      expect(hook.deliveries.length - before).toBe(room)
      // Those over the cap say so, and when a slot frees up: 24 hours after the oldest counted send.
      const listed = (yield* call("GET", "/api/social/messages?status=queued&limit=100")).body.items
        .filter((m: { id: number }) => ids.includes(m.id))
      expect(listed).toHaveLength(8 - room)
      for (const message of listed) {
        expect(message).toMatchObject({ waitingFor: "daily_cap", waitingDetail: expect.stringContaining("6 of 6") })
        expect(Date.parse(message.nextAttemptAt) - Date.now()).toBeGreaterThan(23 * 3600_000)
      }
      const channels = (yield* call("GET", "/api/social/channels")).body
      expect(channels.find((c: { channel: string }) => c.channel === "webhook")).toMatchObject({
        configured: true, missing: [], sentLast24h: 6, dailyCap: 6, queued: expect.any(Number)
      })
      expect(channels.find((c: { channel: string }) => c.channel === "webhook").queued).toBeGreaterThanOrEqual(8 - room)
    }))

  it.effect("replies are noticed (a Bluesky message in the conversation, a Mastodon mention) and stop follow-ups", () =>
    Effect.gen(function*() {
      const { mastodon, pds } = yield* Channels
      const sql = yield* SqlClient.SqlClient
      const status = (handle: string) =>
        sql<{ status: string }>`SELECT status FROM social_profiles WHERE handle = ${handle}`.pipe(Effect.map((r) => r[0]!.status), Effect.orDie)
      yield* withSender(Effect.gen(function*() {
        const first = yield* approved("carol.bsky.social", "bluesky_dm", "Hi carol")
        yield* Effect.flatMap(send(first), (r) => settled(r.body.id))
        pds.state.messages.push({
          id: "reply-1", convoId: "convo-did:plc:carol", text: "Thanks!", sender: { did: "did:plc:carol" }, sentAt: new Date(Date.now() + 1000).toISOString()
        })
        mastodon.notifications.push({ id: "n1", type: "mention", created_at: new Date(Date.now() + 1000).toISOString(), account: { acct: "grace@hachyderm.io" } })
        yield* eventually(
          Effect.flatMap(Effect.all([status("carol.bsky.social"), status("grace@hachyderm.io")]), ([carol, grace]) =>
            ensure(carol === "replied" && grace === "replied", `carol ${carol}, grace ${grace}`)),
          { what: "both replies to be noticed" }
        )
      }))
      expect(yield* status("carol.bsky.social")).toBe("replied")
      expect(yield* status("grace@hachyderm.io")).toBe("replied")
      const followUp = yield* approved("carol.bsky.social", "bluesky_dm", "Following up")
      const refused = yield* send(followUp)
      expect(refused.status).toBe(409)
      expect(refused.body.reason).toBe("replied")
    }))

  it.effect("a reply seen elsewhere can be recorded by hand", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const [profile] = yield* sql<{ id: number }>`SELECT id::int FROM social_profiles WHERE handle = 'person15'`.pipe(Effect.orDie)
      const replied = yield* call("POST", `/api/social/profiles/${profile!.id}/replied`)
      expect(replied.body.status).toBe("replied")
      const draft = yield* approved("person15", "webhook", "Following up")
      expect((yield* send(draft)).body.reason).toBe("replied")
    }))

  it.effect("one first contact per person: a second draft on another channel is refused once a message exists", () =>
    Effect.gen(function*() {
      const first = yield* approved("person16", "webhook", "Hi 16")
      expect((yield* send(first)).status).toBe(202)
      const second = yield* approved("person16", "webhook", "Hi again 16")
      const refused = yield* send(second)
      expect(refused.status).toBe(409)
      expect(refused.body.reason).toBe("already_contacted")
    }))

  it.effect("Mastodon's 429 (X-RateLimit-Reset) makes the message wait without using an attempt; NotFollowedBySender fails with its code", () =>
    Effect.gen(function*() {
      const { mastodon } = yield* Channels
      mastodon.faults.push({
        status: 429,
        headers: { "x-ratelimit-limit": "300", "x-ratelimit-remaining": "0", "x-ratelimit-reset": new Date(Date.now() + 1500).toISOString() },
        body: { error: "Too many requests" }
      })
      const toot = yield* approved("linus@fosstodon.org", "mastodon_dm", "Hello Linus")
      const dm = yield* approved("follow.bsky.social", "bluesky_dm", "Hello")
      const [tootMessage, dmMessage] = yield* withSender(Effect.all([
        Effect.gen(function*() {
          const id = (yield* send(toot)).body.id
          // While it waits it says why, and until when.
          const waiting = yield* eventually(Effect.flatMap(call("GET", `/api/social/messages/${id}`), (r) =>
            r.body.waitingFor === "rate_limited" ? Effect.succeed(r.body) : Effect.fail(new Error(`not yet: ${r.body.status}`))))
          expect(waiting).toMatchObject({ status: "queued", errorCode: "rate_limited", errorDetail: expect.stringContaining("Too many requests") })
          expect(Date.parse(waiting.nextAttemptAt)).toBeGreaterThan(Date.now())
          return yield* settled(id)
        }),
        Effect.flatMap(send(dm), (r) => settled(r.body.id))
      ]))
      expect(tootMessage).toMatchObject({ status: "sent", attempts: 1 })
      expect(dmMessage).toMatchObject({ status: "failed", errorCode: "NotFollowedBySender" })
    }))

  it.effect("bulk send: each draft queued or refused with its reason", () =>
    Effect.gen(function*() {
      const ok = yield* approved("person17", "webhook", "Hi 17")
      const sql = yield* SqlClient.SqlClient
      const notApproved = yield* approved("person18", "webhook", "Hi 18")
      yield* sql`UPDATE social_drafts SET status = 'draft' WHERE id = ${notApproved}`.pipe(Effect.orDie)
      const reply = yield* call("POST", "/api/social/messages/send", { body: { draftIds: [ok, notApproved, 99999] } })
      expect(reply.status).toBe(202)
      expect(reply.body.queued.map((m: { draftId: number }) => m.draftId)).toEqual([ok])
      expect(reply.body.refused.map((r: { draftId: number; reason: string }) => [r.draftId, r.reason])).toEqual([
        [notApproved, "not_approved"],
        [99999, "not_found"]
      ])
    }))
  it.effect("an Idempotency-Key is bound to the first draft it is used with, whatever that draft's state", () =>
    Effect.gen(function*() {
      const nine = yield* approved("person19", "webhook", "Hi 19")
      const first = yield* send(nine, "K1")
      expect(first.status).toBe(202)
      // K2 is new but draft 9 already has its message: the same message, and K2 now names draft 9.
      const again = yield* send(nine, "K2")
      expect(again.status).toBe(202)
      expect(again.body.id).toBe(first.body.id)
      const ten = yield* approved("person20", "webhook", "Hi 20")
      const reused = yield* send(ten, "K2")
      expect(reused.status).toBe(409)
      expect(reused.body).toMatchObject({ reason: "idempotency_key_reused", message: expect.stringContaining(`draft ${nine}`) })
      expect((yield* send(nine, "K2")).body.id).toBe(first.body.id)
      // Bound on first use even when that use is refused.
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE social_drafts SET status = 'draft' WHERE id = ${ten}`.pipe(Effect.orDie)
      expect((yield* send(ten, "K3")).body.reason).toBe("not_approved")
      expect((yield* send(nine, "K3")).body.reason).toBe("idempotency_key_reused")
    }))

  it.effect("a queued message can be cancelled (its draft approved again) and a failed one retried, unless its failure was permanent", () =>
    Effect.gen(function*() {
      const { mastodon } = yield* Channels
      const sql = yield* SqlClient.SqlClient
      const draft = yield* approved("ivy@hachyderm.io", "mastodon_dm", "Hi Ivy")
      const queued = (yield* send(draft, "cancel-key")).body
      const cancelled = yield* call("POST", `/api/social/messages/${queued.id}/cancel`)
      expect(cancelled.status).toBe(200)
      expect(cancelled.body).toMatchObject({ id: draft, status: "approved" })
      expect((yield* call("GET", `/api/social/messages/${queued.id}`)).status).toBe(404)
      expect((yield* call("POST", `/api/social/messages/${queued.id}/cancel`)).status).toBe(404)
      // Sent again, with the same key: a new message for the same draft.
      const requeued = (yield* send(draft, "cancel-key")).body
      expect(requeued).toMatchObject({ draftId: draft, status: "queued" })
      expect(requeued.id).not.toBe(queued.id)

      // A transient failure is retried with the same delivery key; a queued message is returned as it is.
      yield* sql`UPDATE social_messages SET status = 'failed', attempts = 5, error_code = 'unavailable', error_detail = 'Mastodon answered 503'
        WHERE id = ${requeued.id}`.pipe(Effect.orDie)
      const retried = yield* call("POST", `/api/social/messages/${requeued.id}/retry`)
      expect(retried.status).toBe(202)
      expect(retried.body).toMatchObject({ id: requeued.id, status: "queued", attempts: 0, errorCode: null })
      expect((yield* call("POST", `/api/social/messages/${requeued.id}/retry`)).body.status).toBe("queued")
      const sent = yield* withSender(settled(requeued.id))
      expect(sent).toMatchObject({ status: "sent", attempts: 1 })
      expect(mastodon.statuses.filter((status) => status.status === "@ivy@hachyderm.io Hi Ivy")).toHaveLength(1)
      const cancelSent = yield* call("POST", `/api/social/messages/${requeued.id}/cancel`)
      expect(cancelSent.status).toBe(409)
      expect(cancelSent.body).toMatchObject({ _tag: "MessageConflict", status: "sent", reason: "not_queued" })
      expect((yield* call("POST", `/api/social/messages/${requeued.id}/retry`)).body).toMatchObject({ _tag: "MessageConflict", reason: "already_sent" })

      const permanent = (yield* send(yield* approved("person14", "webhook", "Hi 14"))).body.id
      yield* sql`UPDATE social_messages SET status = 'failed', attempts = 1, error_code = 'MessagesDisabled',
        error_detail = 'recipient has disabled incoming messages' WHERE id = ${permanent}`.pipe(Effect.orDie)
      const refused = yield* call("POST", `/api/social/messages/${permanent}/retry`)
      expect(refused.status).toBe(409)
      expect(refused.body).toMatchObject({ _tag: "MessageConflict", status: "failed", reason: "permanent_failure", message: expect.stringContaining("MessagesDisabled") })
      expect((yield* call("POST", "/api/social/messages/987654/retry")).status).toBe(404)

      // Queued again after an attempt whose answer was never seen: it may have gone out, so it cannot be taken back.
      yield* sql`INSERT INTO social_profiles (platform, external_id, handle) VALUES ('mastodon', 'june@hachyderm.io', 'june@hachyderm.io')`.pipe(Effect.orDie)
      const unknown = (yield* send(yield* approved("june@hachyderm.io", "mastodon_dm", "Hi June"))).body.id
      yield* sql`UPDATE social_messages SET attempts = 1, sending_started_at = now(), error_code = 'unavailable',
        error_detail = 'Mastodon did not answer within 20s', next_attempt_at = now() + interval '1 minute' WHERE id = ${unknown}`.pipe(Effect.orDie)
      const mayHaveGone = yield* call("POST", `/api/social/messages/${unknown}/cancel`)
      expect(mayHaveGone.status).toBe(409)
      expect(mayHaveGone.body).toMatchObject({ _tag: "MessageConflict", status: "queued", reason: "delivery_may_have_begun" })
      expect((yield* call("GET", `/api/social/messages/${unknown}`)).body.status).toBe("queued")
    }))
  it.effect("Mastodon: a try of unknown outcome older than the key's hour is not repeated; it fails as delivery_unknown for a person to check", () =>
    Effect.gen(function*() {
      const { mastodon } = yield* Channels
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO social_profiles (platform, external_id, handle)
        VALUES ('mastodon', 'kim@hachyderm.io', 'kim@hachyderm.io'), ('mastodon', 'lou@hachyderm.io', 'lou@hachyderm.io')`.pipe(Effect.orDie)
      const [old, recent] = [
        (yield* send(yield* approved("kim@hachyderm.io", "mastodon_dm", "Hi Kim"))).body.id,
        (yield* send(yield* approved("lou@hachyderm.io", "mastodon_dm", "Hi Lou"))).body.id
      ]
      // Both timed out on their last try; Kim's first try was two hours ago, Lou's ten minutes ago.
      yield* sql`UPDATE social_messages SET status = 'failed', attempts = 5, error_code = 'unavailable',
          error_detail = 'Mastodon did not answer within 20s',
          sending_started_at = now() - CASE WHEN id = ${old} THEN interval '2 hours' ELSE interval '10 minutes' END
        WHERE id IN (${old}, ${recent})`.pipe(Effect.orDie)
      for (const id of [old, recent]) {
        expect((yield* call("POST", `/api/social/messages/${id}/retry`)).body).toMatchObject({ status: "queued", attempts: 1 })
      }
      const [kim, lou] = yield* withSender(Effect.all([settled(old), settled(recent)]))
      expect(kim).toMatchObject({ status: "failed", errorCode: "delivery_unknown", errorDetail: expect.stringContaining("Check the conversation") })
      expect(lou).toMatchObject({ status: "sent", attempts: 2 })
      expect(mastodon.statuses.filter((status) => status.status.startsWith("@kim@"))).toHaveLength(0)
      expect(mastodon.statuses.filter((status) => status.status.startsWith("@lou@"))).toHaveLength(1)
      const again = yield* call("POST", `/api/social/messages/${old}/retry`)
      expect(again.status).toBe(409)
      expect(again.body).toMatchObject({ reason: "permanent_failure", message: expect.stringContaining("check the conversation") })
    }))

  it.effect("calls to every channel name us, carry no tracing headers; a webhook Retry-After given as an HTTP date is honoured", () =>
    Effect.gen(function*() {
      const { hook, mastodon, pds } = yield* Channels
      // An HTTP date counts in whole seconds: two seconds ahead is at least one second's wait.
      hook.limitNext(new Date(Date.now() + 2000).toUTCString())
      const sql = yield* SqlClient.SqlClient
      // The webhook cap of this suite is spent by now, and earlier messages wait for it: room for this one only.
      yield* sql`UPDATE social_messages SET sent_at = sent_at - interval '2 days' WHERE channel = 'webhook' AND status = 'sent'`.pipe(Effect.orDie)
      yield* sql`UPDATE social_messages SET status = 'failed', error_code = 'test' WHERE channel = 'webhook' AND status = 'queued'`.pipe(Effect.orDie)
      const draft = yield* approved("person9", "webhook", "Hi 9")
      const id = (yield* send(draft)).body.id
      const message = yield* withSender(Effect.gen(function*() {
        const waiting = yield* eventually(Effect.flatMap(call("GET", `/api/social/messages/${id}`), (r) =>
          r.body.waitingFor === "rate_limited" ? Effect.succeed(r.body) : Effect.fail(new Error(`not yet: ${r.body.status}`))))
        expect(Date.parse(waiting.nextAttemptAt) - Date.now()).toBeLessThan(3000)
        return yield* settled(id)
      }))
      expect(message).toMatchObject({ status: "sent", attempts: 1 })
      const ours = [...pds.requests, ...mastodon.requests, ...hook.requests.filter((r) => r.headers["x-sent-by"] !== "test")]
      expect(hook.requests.length).toBeGreaterThan(0)
      for (const request of ours) {
        expect(request.headers["user-agent"]).toBe(UserAgent)
        expect(request.headers["traceparent"]).toBeUndefined()
        expect(request.headers["b3"]).toBeUndefined()
      }
    }))
})
