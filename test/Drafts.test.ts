import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { DraftConflict, DraftNotFound } from "../src/Domain/Draft.js"
import { ProfileId } from "../src/Domain/Profile.js"
import { apiClient, call, pgAppLayer } from "./support/App.js"

const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    INSERT INTO social_profiles (platform, external_id, handle, display_name, accepts_dms, bio) VALUES
      ('bluesky', 'did:plc:ada', 'ada.bsky.social', 'Ada Lovelace', true, 'Engines'),
      ('bluesky', 'did:plc:closed', 'closed.bsky.social', 'Closed Door', false, null),
      ('bluesky', 'did:plc:noname', 'noname.bsky.social', null, null, null),
      ('bluesky', 'did:plc:suppressed', 'Suppressed.bsky.social', 'Sue Pressed', true, null),
      ('mastodon', 'grace@hachyderm.io', 'grace@hachyderm.io', 'Grace Hopper', null, 'Compilers'),
      ('github', '42', 'octo', 'Octo Cat', null, null)`
  yield* sql`INSERT INTO social_suppressions (platform, handle, reason) VALUES ('bluesky', 'suppressed.bsky.social', 'asked')`
})

// Every channel configured (nothing is sent here: no sender runs).
const App = pgAppLayer({
  BLUESKY_IDENTIFIER: "sender.test",
  BLUESKY_APP_PASSWORD: "app-password",
  MASTODON_ACCESS_TOKEN: "token",
  WEBHOOK_URL: "http://127.0.0.1:9/hook",
  WEBHOOK_SECRET: `whsec_${Buffer.from("a secret").toString("base64")}`
}).pipe(Layer.tap((context) => Effect.orDie(Effect.provide(seed, context))))

const idOf = (handle: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ id: number }>`SELECT id::int FROM social_profiles WHERE handle = ${handle}`.pipe(
      Effect.map((rows) => rows[0]!.id),
      Effect.orDie
    ))

layer(App, { timeout: "60 seconds", excludeTestServices: true })("Drafts, opt-outs and the suppression list", (it) => {
  it.effect("drafts are made per profile, with a reason for every profile skipped", () =>
    Effect.gen(function*() {
      const ids = yield* Effect.all(
        ["ada.bsky.social", "closed.bsky.social", "noname.bsky.social", "Suppressed.bsky.social", "grace@hachyderm.io"].map(idOf)
      )
      const api = yield* apiClient
      const reply = yield* api.drafts.create({
        payload: {
          channel: "bluesky_dm",
          template: "Hi {{firstName|there}}, I liked your posts on {{topic}}.",
          fields: { topic: "Effect" },
          profileIds: [...ids, 999999].map((id) => ProfileId.make(id))
        }
      })
      expect(reply.created.map((d) => [d.profileId, d.body, d.status])).toEqual([
        [ids[0], "Hi Ada, I liked your posts on Effect.", "draft"],
        [ids[2], "Hi there, I liked your posts on Effect.", "draft"]
      ])
      const reasons = Object.fromEntries(reply.skipped.map((s) => [s.profileId, s.reason]))
      expect(reasons).toEqual({
        [ids[1]!]: "channel_unavailable",
        [ids[3]!]: "opted_out",
        [ids[4]!]: "channel_unavailable",
        999999: "not_found"
      })

      const again = yield* api.drafts.create({
        payload: { channel: "bluesky_dm", template: "Hello {{displayName}}", profileIds: [ids[0]!, ids[2]!].map((id) => ProfileId.make(id)) }
      })
      expect(again.created).toEqual([])
      expect(again.skipped).toEqual([
        { profileId: ids[0], reason: "draft_exists", detail: expect.stringContaining("still open") },
        { profileId: ids[2], reason: "draft_exists", detail: expect.stringContaining("still open") }
      ])
    }))

  it.effect("a variable with no value and no fallback, an unknown variable, and a message over the channel's limit are reported", () =>
    Effect.gen(function*() {
      const grace = yield* idOf("grace@hachyderm.io")
      const missing = yield* call("POST", "/api/social/drafts", {
        body: { channel: "mastodon_dm", template: "About {{location}}", filter: { platform: "mastodon" } }
      })
      expect(missing.body.skipped).toEqual([{ profileId: grace, reason: "missing_variable", detail: "no value for {{location}} and no fallback" }])
      const unknown = yield* call("POST", "/api/social/drafts", {
        body: { channel: "mastodon_dm", template: "Hi {{FirstName}}", profileIds: [grace] }
      })
      expect(unknown.status).toBe(400)
      expect(unknown.body).toMatchObject({ _tag: "TemplateInvalid", position: 3, knownVariables: expect.arrayContaining(["firstName", "handle"]) })
      expect(unknown.body.message).toContain("did you mean {{firstName}}")
      const broken = yield* call("POST", "/api/social/drafts", {
        body: { channel: "mastodon_dm", template: "Hi {{firstName, {{ handle }} {{}} }}", profileIds: [grace] }
      })
      expect(broken.status).toBe(400)
      expect(broken.body).toMatchObject({ _tag: "TemplateInvalid", position: 3 })
      const everyone = yield* call("POST", "/api/social/drafts", { body: { channel: "webhook", template: "Hi", filter: {} } })
      expect(everyone.status).toBe(400)
      expect(JSON.stringify(everyone.body)).toContain(String.raw`\"all\": true`)
      const drafts = yield* call("GET", "/api/social/drafts?limit=100")
      expect(drafts.body.items.some((d: { body: string }) => d.body.includes("{"))).toBe(false)
      const long = yield* call("POST", "/api/social/drafts", {
        body: { channel: "mastodon_dm", template: "x".repeat(490), profileIds: [grace] }
      })
      expect(long.body.skipped[0]).toMatchObject({ reason: "too_long", detail: expect.stringContaining("mastodon_dm allows 500") })
      const bad = yield* call("POST", "/api/social/drafts", { body: { channel: "mastodon_dm", template: "x", profileIds: [grace], filter: {} } })
      expect(bad.status).toBe(400)
      const made = yield* call("POST", "/api/social/drafts", {
        body: { channel: "mastodon_dm", template: "Hi {{firstName}}, re {{bio}}", profileIds: [grace] }
      })
      expect(made.body.created[0].body).toBe("Hi Grace, re Compilers")
    }))

  it.effect("approve, edit (back to draft), reject, delete: each only from the states that allow it", () =>
    Effect.gen(function*() {
      const api = yield* apiClient
      const octo = ProfileId.make(yield* idOf("octo"))
      const created = yield* api.drafts.create({ payload: { channel: "webhook", template: "Hey {{handle}}", profileIds: [octo] } })
      const path = { id: created.created[0]!.id }
      // The approver is the token's holder (no token here: anonymous); a body naming one is refused.
      const named = yield* call("POST", `/api/social/drafts/${path.id}/approve`, { body: { approvedBy: "maria" } })
      expect(named.status).toBe(400)
      expect(named.body.message).toContain("approvedBy")
      const approved = yield* api.drafts.approve({ path, payload: {} })
      expect(approved).toMatchObject({ status: "approved", approvedBy: "anonymous" })
      expect(typeof approved.approvedAt).toBe("string")
      const twice = yield* Effect.flip(api.drafts.approve({ path, payload: {} }))
      expect(twice).toBeInstanceOf(DraftConflict)
      expect(twice).toMatchObject({ message: `Draft ${path.id} is already approved` })
      const edited = yield* api.drafts.edit({ path, payload: { body: "Hey octo, a new text" } })
      expect(edited).toMatchObject({ status: "draft", body: "Hey octo, a new text", approvedAt: null, approvedBy: null })
      const tooLong = yield* call("PATCH", `/api/social/drafts/${path.id}`, { body: { body: "y".repeat(10_001) } })
      expect(tooLong.status).toBe(400)
      expect(yield* api.drafts.reject({ path, payload: { reason: "tone" } })).toMatchObject({ status: "rejected", rejectedReason: "tone" })
      const approveRejected = yield* Effect.flip(api.drafts.approve({ path, payload: {} }))
      expect(approveRejected).toMatchObject({ _tag: "DraftConflict", status: "rejected", message: "A rejected draft cannot be approved" })
      const listed = yield* api.drafts.list({ urlParams: { profileId: octo } })
      expect(listed.items.map((d) => d.id)).toEqual([path.id])
      yield* api.drafts.remove({ path })
      expect(yield* Effect.flip(api.drafts.get({ path }))).toBeInstanceOf(DraftNotFound)
    }))

  it.effect("an opt-out suppresses the person, withdraws their open drafts, and blocks new ones", () =>
    Effect.gen(function*() {
      const ada = yield* idOf("ada.bsky.social")
      const [draft] = (yield* call("GET", `/api/social/drafts?profileId=${ada}`)).body.items
      yield* call("POST", `/api/social/drafts/${draft.id}/approve`, { body: {} })
      const optedOut = yield* call("POST", `/api/social/profiles/${ada}/opt-out`, { body: { reason: "replied STOP" } })
      expect(optedOut.status).toBe(200)
      expect(optedOut.body.status).toBe("opted_out")
      expect((yield* call("GET", `/api/social/drafts/${draft.id}`)).body).toMatchObject({ status: "rejected", rejectedReason: "The person opted out" })
      const blocked = yield* call("POST", "/api/social/drafts", { body: { channel: "bluesky_dm", template: "Hi", profileIds: [ada] } })
      expect(blocked.body.skipped[0]).toMatchObject({ reason: "opted_out" })
      const list = yield* call("GET", "/api/social/suppressions")
      expect(list.body.items.map((s: { handle: string; reason: string }) => [s.handle, s.reason])).toContainEqual(["ada.bsky.social", "replied STOP"])
      expect((yield* call("POST", "/api/social/profiles/999999/opt-out", { body: {} })).status).toBe(404)
    }))

  it.effect("the suppression list: add, import and export as CSV, remove", () =>
    Effect.gen(function*() {
      const added = yield* call("POST", "/api/social/suppressions", { body: { platform: "github", handle: " Someone ", reason: "do not contact" } })
      expect(added.status).toBe(201)
      expect(added.body).toMatchObject({ platform: "github", handle: "someone" })
      const imported = yield* call("POST", "/api/social/suppressions/import", {
        body: { csv: "platform,handle,reason\nmastodon,x@y.z,gdpr\nfriendster,joe,\ngithub,SOMEONE,again\n" }
      })
      expect(imported.body).toEqual({ accepted: 2, rejected: [{ row: 3, reason: expect.stringContaining("platform") }] })
      const unusable = yield* call("POST", "/api/social/suppressions/import", { body: { csv: "platform,handle\nmastodon,@nohost\n" } })
      expect(unusable.body).toEqual({ accepted: 0, rejected: [{ row: 2, reason: expect.stringContaining("user@host") }] })
      const exported = yield* call("GET", "/api/social/suppressions/export")
      expect(exported.status).toBe(200)
      expect(exported.headers["content-type"]).toContain("text/csv")
      const lines = (exported.body as string).trim().split("\n")
      expect(lines[0]).toBe("platform,handle,reason,created_at")
      expect(lines.filter((line) => line.startsWith("github,someone,again,"))).toHaveLength(1)
      expect(lines.some((line) => line.startsWith("mastodon,x@y.z,gdpr,"))).toBe(true)
      expect((yield* call("DELETE", `/api/social/suppressions/${added.body.id}`)).status).toBe(204)
      expect((yield* call("DELETE", `/api/social/suppressions/${added.body.id}`)).status).toBe(404)
      const notCsv = yield* call("POST", "/api/social/suppressions/import", { body: { csv: "name,email\na,b\n" } })
      expect(notCsv.status).toBe(400)
    }))

  it.effect("by filter, a repeated request moves on: people who already have an open draft are left out, not re-reported", () =>
    Effect.gen(function*() {
      const first = yield* call("POST", "/api/social/drafts", { body: { channel: "webhook", template: "Hi {{handle}}", filter: { platform: "mastodon" } } })
      const again = yield* call("POST", "/api/social/drafts", { body: { channel: "webhook", template: "Hi {{handle}}", filter: { platform: "mastodon" } } })
      expect(first.body.created.length).toBeGreaterThan(0)
      expect(again.body).toEqual({ created: [], skipped: [] })
    }))

  it.effect("GitHub entries by numeric id, by @Login or by profile URL keep drafts from being made", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO social_profiles (platform, external_id, handle) VALUES
        ('github', '583231', 'octodog'), ('github', '9919', 'Hubber'), ('github', '777', 'linus-t')`.pipe(Effect.orDie)
      const ids = yield* Effect.all(["octodog", "Hubber", "linus-t"].map(idOf))
      for (const handle of ["583231", "@hubber", "https://github.com/Linus-T"]) {
        expect((yield* call("POST", "/api/social/suppressions", { body: { platform: "github", handle } })).status).toBe(201)
      }
      const reply = yield* call("POST", "/api/social/drafts", { body: { channel: "webhook", template: "Hi", profileIds: ids } })
      expect(reply.body.created).toEqual([])
      expect(reply.body.skipped.map((s: { reason: string }) => s.reason)).toEqual(["opted_out", "opted_out", "opted_out"])
    }))

  it.effect("an opted-out Bluesky person stays suppressed after changing handle (matched by DID)", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO social_profiles (platform, external_id, handle, display_name, accepts_dms)
        VALUES ('bluesky', 'did:plc:mover', 'old-name.bsky.social', 'Mover', true)`.pipe(Effect.orDie)
      const id = yield* idOf("old-name.bsky.social")
      yield* call("POST", `/api/social/profiles/${id}/opt-out`, { body: {} })
      // A re-created profile under the new handle (say, imported again) keeps the DID.
      yield* sql`DELETE FROM social_profiles WHERE id = ${id}`.pipe(Effect.orDie)
      yield* sql`INSERT INTO social_profiles (platform, external_id, handle, display_name, accepts_dms)
        VALUES ('bluesky', 'did:plc:mover', 'new-name.bsky.social', 'Mover', true)`.pipe(Effect.orDie)
      const renamed = yield* idOf("new-name.bsky.social")
      const reply = yield* call("POST", "/api/social/drafts", { body: { channel: "bluesky_dm", template: "Hi", profileIds: [renamed] } })
      expect(reply.body.skipped).toEqual([{ profileId: renamed, reason: "opted_out", detail: expect.any(String) }])
    }))
  it.effect("an archived profile leaves the list and new drafts, its open drafts are withdrawn; its suppression stays", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO social_profiles (platform, external_id, handle, display_name, accepts_dms) VALUES
        ('bluesky', 'did:plc:shelf', 'shelf.bsky.social', 'Shelf', true),
        ('bluesky', 'did:plc:boxed', 'boxed.bsky.social', 'Boxed', true)`.pipe(Effect.orDie)
      const [shelf, boxed] = yield* Effect.all([idOf("shelf.bsky.social"), idOf("boxed.bsky.social")])
      const draft = (yield* call("POST", "/api/social/drafts", { body: { channel: "bluesky_dm", template: "Hi", profileIds: [shelf] } })).body.created[0]
      expect((yield* call("POST", "/api/social/suppressions", { body: { platform: "bluesky", handle: "did:plc:boxed" } })).status).toBe(201)
      for (const id of [shelf, boxed]) {
        const archived = yield* call("POST", `/api/social/profiles/${id}/archive`)
        expect(archived.status).toBe(200)
        expect(archived.body).toMatchObject({ id, status: "archived" })
      }
      expect((yield* call("POST", `/api/social/profiles/${shelf}/archive`)).body.status).toBe("archived")
      expect((yield* call("GET", `/api/social/drafts/${draft.id}`)).body).toMatchObject({ status: "rejected", rejectedReason: "The profile was archived" })
      const listed = (yield* call("GET", "/api/social/profiles?limit=100")).body.items.map((p: { id: number }) => p.id)
      expect(listed).not.toContain(shelf)
      expect(listed).not.toContain(boxed)
      expect((yield* call("GET", "/api/social/profiles?status=archived")).body.items.map((p: { id: number }) => p.id)).toEqual([boxed, shelf])
      const byId = yield* call("POST", "/api/social/drafts", { body: { channel: "bluesky_dm", template: "Hi", profileIds: [shelf, boxed] } })
      expect(byId.body.skipped.map((s: { reason: string }) => s.reason)).toEqual(["archived", "opted_out"])
      const byFilter = yield* call("POST", "/api/social/drafts", { body: { channel: "webhook", template: "Hi", filter: { q: "e" } } })
      expect(byFilter.body.created.map((d: { profileId: number }) => d.profileId)).not.toContain(shelf)
      const suppressions = (yield* call("GET", "/api/social/suppressions?limit=100")).body.items
      expect(suppressions.some((s: { externalId: string }) => s.externalId === "did:plc:boxed")).toBe(true)
      expect((yield* call("POST", "/api/social/profiles/999999/archive")).status).toBe(404)
    }))
})
