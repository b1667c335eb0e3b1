import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer } from "effect"
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SocialTables } from "../src/Domain/Database.js"
import { keyFileOf } from "../src/Erasure/Key.js"
import { identifiersOf } from "../src/Erasure/Policy.js"
import { appLayer, call, pgAppLayer, type Reply } from "./support/App.js"
import { ensure, eventually } from "./support/Eventually.js"
import { fakeMastodon } from "./support/FakePlatforms.js"

// One person, held twice on Bluesky (imported by handle, and again with their DID) and once on Mastodon.
const erin = {
  platform: "mastodon",
  handle: "User2@Fosstodon.org",
  externalId: "user2@fosstodon.org",
  displayName: "Erin Erasable",
  bio: "Unique bio xyzzy-4711",
  location: "Atlantis-9931",
  url: "https://fosstodon.org/@user2",
  avatarUrl: "https://fosstodon.org/avatars/erin-77.png"
}
const erinOnBluesky = [
  { platform: "bluesky", handle: "erin-q.bsky.social", displayName: "Erin Q Bluesky" },
  { platform: "bluesky", handle: "erin-q.bsky.social", externalId: "did:plc:erinqerinqerinqerinqerinq", bio: "Sky bio plugh-0815" }
]
const someoneElse = { platform: "mastodon", handle: "kept@fosstodon.org", displayName: "Kept Person", bio: "Stays here" }

/** Every trace of Erin a table could hold, looked for in the text of every row of every table. */
const traces = ["Erin", "xyzzy-4711", "Atlantis-9931", "user2@fosstodon.org", "erin-77", "erin-q", "erinqerinq", "plugh-0815", "asked by email"]

const everyRow = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(SocialTables, (table) =>
    sql.unsafe<{ row: string }>(`SELECT t::text AS row FROM ${table} t`).pipe(Effect.map((rows) => rows.map((r) => `${table}: ${r.row}`))))).pipe(
    Effect.map((tables) => tables.flat()),
    Effect.orDie
  )

const ok = (reply: Reply, status = 200) => {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status)
  return reply.body
}

const idOf = (handle: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ id: number }>`SELECT id::int FROM social_profiles WHERE lower(handle) = lower(${handle}) ORDER BY id`.pipe(
      Effect.map((rows) => rows.map((r) => r.id)),
      Effect.orDie
    ))

const user = fc.stringMatching(/^[a-z0-9_]{1,12}$/)
const host = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,10}$/), fc.stringMatching(/^[a-z]{2,6}$/)).map(([a, b]) => `${a}.${b}`)
const shout = (text: string, upper: ReadonlyArray<boolean>) => [...text].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c)).join("")

describe("What an erasure hashes", () => {
  it.prop("every spelling of a Mastodon account gives the same identifiers: case, @, profile URL", [user, host, fc.array(fc.boolean(), { minLength: 1 })], ([u, h, upper]) => {
    const canonical = identifiersOf("mastodon", `${u}@${h}`, `${u}@${h}`)
    expect(canonical).toEqual([`${u}@${h}`])
    expect(identifiersOf("mastodon", shout(`@${u}@${h}`, upper), `https://${h}/@${u}`)).toEqual(canonical)
  })

  it.prop("a Bluesky handle in any case, with or without @, gives one identifier beside the DID", [host, fc.array(fc.boolean(), { minLength: 1 })], ([h, upper]) => {
    const did = "did:plc:abcdefghijklmnopqrstuvwx"
    expect(identifiersOf("bluesky", shout(`@${h}`, upper), did)).toEqual([h, did])
    expect(identifiersOf("bluesky", `https://bsky.app/profile/${h}`, did.toUpperCase().replace("DID:PLC:", "did:plc:"))).toEqual([h, did])
  })
})

const App = Layer.unwrapScoped(Effect.gen(function*() {
  const fake = yield* Effect.acquireRelease(Effect.promise(() => fakeMastodon("fosstodon.org", 12)), (f) => Effect.promise(f.close))
  return pgAppLayer({
    SUPPRESSION_KEY: "a-test-key-of-32-characters-0001",
    MASTODON_INSTANCE_URLS: `fosstodon.org=${fake.url}`,
    WEBHOOK_URL: "http://127.0.0.1:9/hook",
    WEBHOOK_SECRET: `whsec_${Buffer.from("a secret").toString("base64")}`,
    DISCOVERY_WORKERS: "1",
    DISCOVERY_POLL_INTERVAL: "50 millis"
  }, { workers: true })
}))

layer(App, { timeout: "60 seconds", excludeTestServices: true })("Erasure (GDPR Art. 17) and access (Art. 15)", (it) => {
  it.effect("an erased person's data is gone from every table; what keeps them from being contacted stays", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      ok(yield* call("POST", "/api/social/profiles/import", { body: { format: "json", profiles: [erin, ...erinOnBluesky, someoneElse] } }))
      const [id] = yield* idOf(erin.handle)
      const [kept] = yield* idOf(someoneElse.handle)
      const draft = ok(yield* call("POST", "/api/social/drafts", {
        body: { channel: "webhook", template: "Dear {{displayName}}, about {{bio}} in {{location}}", profileIds: [id, kept] }
      }), 201).created[0]
      expect(draft.body).toBe("Dear Erin Erasable, about Unique bio xyzzy-4711 in Atlantis-9931")
      ok(yield* call("POST", `/api/social/drafts/${draft.id}/approve`))
      const message = ok(yield* call("POST", `/api/social/drafts/${draft.id}/send`), 202)
      // Delivered (no sender runs here): it counts towards the webhook's daily cap from now on.
      yield* sql`UPDATE social_messages SET status = 'sent', sent_at = now(), provider_message_id = 'erin-77-msg',
        conversation_id = 'erin-77-conv' WHERE id = ${message.id}`
      ok(yield* call("POST", "/api/social/suppressions", { body: { platform: "mastodon", handle: "@User2@fosstodon.org", reason: "Erin asked by email" } }), 201)
      const usedBefore = ok(yield* call("GET", "/api/social/channels")).find((c: { channel: string }) => c.channel === "webhook")

      // Access first: everything held about Erin, raw payload included.
      const held = ok(yield* call("GET", `/api/social/profiles/${id}/export`))
      expect(held.profile).toMatchObject({ id, displayName: "Erin Erasable", bio: erin.bio, erasedAt: null })
      expect(held.profile.raw).toMatchObject({ displayName: "Erin Erasable" })
      expect(held.drafts.map((d: { id: number }) => d.id)).toEqual([draft.id])
      expect(held.messages.map((m: { body: string }) => m.body)).toEqual([draft.body])
      expect(held.suppressions.map((s: { reason: string }) => s.reason)).toEqual(["Erin asked by email"])
      expect(held.audit.map((a: { action: string }) => a.action)).toEqual(["profile.import", "draft.create", "draft.approve", "message.send"])
      const beforeRows = JSON.stringify(yield* everyRow)
      for (const trace of traces) expect(beforeRows, trace).toContain(trace)

      const report = ok(yield* call("POST", `/api/social/profiles/${id}/erase`))
      expect(report).toEqual({ profileIds: [id], drafts: 1, messages: 1, suppressionEntries: 1, alreadyErased: false })
      const [sky1, sky2] = yield* idOf("erin-q.bsky.social")
      const sky = ok(yield* call("POST", `/api/social/profiles/${sky1}/erase`))
      expect(sky).toMatchObject({ profileIds: [sky1, sky2], alreadyErased: false })
      // The handle and the DID are two identifiers: two hashed entries.
      expect(sky.suppressionEntries).toBe(2)

      const rows = yield* everyRow
      for (const trace of traces) expect(rows.filter((row) => row.toLowerCase().includes(trace.toLowerCase())), trace).toEqual([])
      expect(rows.some((row) => row.includes("Kept Person"))).toBe(true)

      // What stays: a tombstone, the message's status and times (the cap still counts it), the hashed entries.
      const tombstone = ok(yield* call("GET", `/api/social/profiles/${id}`))
      expect(tombstone).toMatchObject({ handle: "[erased]", displayName: null, bio: null, status: "opted_out", erasedAt: expect.any(String) })
      const after = ok(yield* call("GET", `/api/social/messages/${message.id}`))
      expect(after).toMatchObject({ status: "sent", sentAt: expect.any(String), body: "[erased]", recipient: "" })
      const usedAfter = ok(yield* call("GET", "/api/social/channels")).find((c: { channel: string }) => c.channel === "webhook")
      expect(usedAfter.sentLast24h).toBe(usedBefore.sentLast24h)
      const list = ok(yield* call("GET", "/api/social/suppressions?limit=100"))
      const hashed = list.items.filter((s: { handle: string }) => s.handle.startsWith("hmac:"))
      expect(hashed.length).toBe(3)
      // Those entries are what keeps the person from being stored again: they cannot be removed.
      const removal = yield* call("DELETE", `/api/social/suppressions/${hashed[0].id}`)
      expect(removal.status).toBe(409)
      expect(removal.body).toMatchObject({ _tag: "SuppressionProtected" })
      const exported = ok(yield* call("GET", `/api/social/profiles/${id}/export`))
      expect(exported.profile).toMatchObject({ raw: {}, handle: "[erased]", location: null, url: null, avatarUrl: null })
      expect(exported.drafts[0].body).toBe("[erased]")
      expect(exported.audit.map((a: { action: string; actor: string }) => a.action)).toContain("profile.erase")

      // Erasing again changes nothing.
      expect(ok(yield* call("POST", `/api/social/profiles/${id}/erase`))).toMatchObject({ profileIds: [], alreadyErased: true })
    }))

  it.effect("an erased person is refused as suppressed: no draft, no import, not stored again by discovery", () =>
    Effect.gen(function*() {
      const [id] = yield* idOf("[erased]")
      const drafted = ok(yield* call("POST", "/api/social/drafts", { body: { channel: "webhook", template: "Hi {{handle}}", profileIds: [id] } }), 201)
      expect(drafted).toMatchObject({ created: [], skipped: [{ profileId: id, reason: "opted_out" }] })

      const again = ok(yield* call("POST", "/api/social/profiles/import", {
        body: {
          format: "json",
          profiles: [
            { platform: "mastodon", handle: "@user2@FOSSTODON.org" },
            { platform: "bluesky", handle: "Erin-Q.bsky.social" },
            { platform: "bluesky", handle: "someone-new.bsky.social", externalId: "did:plc:erinqerinqerinqerinqerinq" },
            { platform: "mastodon", handle: "new@fosstodon.org" }
          ]
        }
      }))
      expect(again.accepted).toBe(1)
      expect(again.rejected).toEqual([1, 2, 3].map((row) => ({ row, reason: expect.stringContaining("suppressed") })))

      // The fake instance lists user1…user12; user2@fosstodon.org is Erin.
      const job = ok(yield* call("POST", "/api/social/discover", { body: { platform: "mastodon", filters: { instance: "fosstodon.org", query: "x", limit: 12 } } }), 202)
      yield* eventually(Effect.flatMap(call("GET", `/api/social/discover/${job.id}`), (r) => ensure(r.body.status === "succeeded", `status ${r.body.status}`)))
      expect(yield* idOf("user4@fosstodon.org")).toHaveLength(1)
      expect(yield* idOf("user2@fosstodon.org")).toEqual([])
      for (const trace of ["user2@fosstodon.org", "erin-q", "erinqerinq"]) {
        expect((yield* everyRow).filter((row) => row.toLowerCase().includes(trace)), trace).toEqual([])
      }
    }))

  it.effect("an unknown profile is a 404 for erasure and export", () =>
    Effect.gen(function*() {
      expect((yield* call("POST", "/api/social/profiles/999999/erase")).body).toMatchObject({ _tag: "ProfileNotFound" })
      expect((yield* call("GET", "/api/social/profiles/999999/export")).body).toMatchObject({ _tag: "ProfileNotFound" })
    }))
})

layer(pgAppLayer(), { timeout: "60 seconds", excludeTestServices: true })("Erasure without SUPPRESSION_KEY on PostgreSQL", (it) => {
  it.effect("is refused naming the setting, and nothing changes", () =>
    Effect.gen(function*() {
      ok(yield* call("POST", "/api/social/profiles/import", { body: { format: "json", profiles: [erin] } }))
      const [id] = yield* idOf(erin.handle)
      const before = yield* everyRow
      const refused = yield* call("POST", `/api/social/profiles/${id}/erase`)
      expect(refused.status).toBe(409)
      expect(refused.body).toMatchObject({ _tag: "SuppressionKeyMissing", message: expect.stringContaining("SUPPRESSION_KEY") })
      expect(yield* everyRow).toEqual(before)
    }))

  it.effect("entries hashed with a key that is not configured stop imports rather than let erased people back in", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO social_suppressions (platform, handle, external_id) VALUES ('mastodon', 'hmac:0badc0de:00', 'hmac:0badc0de:00')`
      const refused = yield* call("POST", "/api/social/profiles/import", { body: { format: "json", profiles: [someoneElse] } })
      expect(refused.status).toBe(409)
      expect(refused.body.message).toContain("SUPPRESSION_KEY")
    }))
})

const embedded = Layer.unwrapScoped(
  Effect.acquireRelease(
    Effect.sync(() => join(mkdtempSync(join(tmpdir(), "so-erase-")), "pglite")),
    (dir) => Effect.sync(() => rmSync(join(dir, ".."), { recursive: true, force: true }))
  ).pipe(Effect.map((dir) => Layer.merge(appLayer({ PGLITE_DATA_DIR: dir }), Layer.succeed(DataDir, dir))))
)

class DataDir extends Effect.Tag("test/DataDir")<DataDir, string>() {}

layer(embedded, { timeout: "90 seconds", excludeTestServices: true })("Erasure on the embedded database", (it) => {
  it.effect("works without a setting: a key is generated once, beside the data directory, readable by us only", () =>
    Effect.gen(function*() {
      const dir = yield* DataDir
      expect(existsSync(keyFileOf(dir))).toBe(false)
      ok(yield* call("POST", "/api/social/profiles/import", { body: { format: "json", profiles: [erin] } }))
      const [id] = yield* idOf(erin.handle)
      ok(yield* call("POST", `/api/social/profiles/${id}/erase`))
      expect(statSync(keyFileOf(dir)).mode & 0o777).toBe(0o600)
      expect(keyFileOf(dir).startsWith(join(dir, ".."))).toBe(true)
      const again = ok(yield* call("POST", "/api/social/profiles/import", { body: { format: "json", profiles: [erin] } }))
      expect(again).toMatchObject({ accepted: 0, rejected: [{ row: 1, reason: expect.stringContaining("suppressed") }] })
    }))
})
