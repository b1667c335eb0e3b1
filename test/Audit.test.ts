import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer, List, Logger, Option, Redacted } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AppConfig } from "../src/Config.js"
import { call, pgAppLayer, type Reply } from "./support/App.js"

const tokens = { maria: "tok-maria-7c1d9e0a55", joao: "tok-joao-3b8f21c4d6", operator: "tok-operator-e5a0c2" }
const as = (who: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[who]}` })

// Everything any logger is given during these tests, annotations included.
const logged: Array<string> = []
const CaptureLogs = Logger.add(Logger.make(({ annotations, message, spans }) => {
  logged.push(JSON.stringify({ message, annotations: Object.fromEntries(annotations), spans: List.toArray(spans) }))
}))

const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`INSERT INTO social_profiles (platform, external_id, handle, display_name) VALUES
    ('github', '1', 'octo', 'Octo Cat'), ('github', '2', 'hubot', 'Hu Bot'), ('github', '3', 'mona', 'Mona Lisa')`
})

const App = pgAppLayer({
  API_TOKEN: tokens.operator,
  API_TOKENS: `maria:${tokens.maria}, joao:${tokens.joao}`,
  WEBHOOK_URL: "http://127.0.0.1:9/hook",
  WEBHOOK_SECRET: `whsec_${Buffer.from("a secret").toString("base64")}`,
  LOG_LEVEL: "debug"
}).pipe(Layer.tap((context) => Effect.orDie(Effect.provide(seed, context))), Layer.provide(CaptureLogs))

const idOf = (handle: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ id: number }>`SELECT id::int FROM social_profiles WHERE handle = ${handle}`.pipe(Effect.map((rows) => rows[0]!.id), Effect.orDie))

const ok = (reply: Reply, status = 200) => {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status)
  return reply.body
}

/** Every audit record, walking the keyset pages `limit` at a time. */
const allRecords = (query: string, limit: number) =>
  Effect.gen(function*() {
    const records: Array<any> = []
    let cursor: string | null = null
    do {
      const page: any = ok(yield* call("GET", `/api/social/audit?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ""}`, { headers: as("operator") }))
      records.push(...page.items)
      cursor = page.nextCursor
    } while (cursor !== null)
    return records
  })

layer(App, { timeout: "60 seconds", excludeTestServices: true })("Named people: every change recorded under the token's name", (it) => {
  it.effect("each person's token works, and each change is recorded under the name its token was given", () =>
    Effect.gen(function*() {
      for (const who of ["maria", "joao", "operator"] as const) ok(yield* call("GET", "/api/social/profiles", { headers: as(who) }))
      const wrong = yield* call("GET", "/api/social/profiles", { headers: { authorization: `Bearer ${tokens.maria}x` } })
      expect(wrong.status).toBe(401)

      const [octo, hubot, mona] = yield* Effect.all([idOf("octo"), idOf("hubot"), idOf("mona")])
      const created = ok(yield* call("POST", "/api/social/drafts", {
        headers: as("maria"),
        body: { channel: "webhook", template: "Hi {{handle}}", profileIds: [octo, hubot] }
      }), 201)
      const [first, second] = created.created.map((d: { id: number }) => d.id)

      // The approver is the token's holder; naming one in the body is refused, and changes nothing.
      const named = yield* call("POST", `/api/social/drafts/${first}/approve`, { headers: as("maria"), body: { approvedBy: "joao" } })
      expect(named.status).toBe(400)
      expect(named.body.message).toContain("approvedBy")
      expect(ok(yield* call("GET", `/api/social/drafts/${first}`, { headers: as("maria") })).status).toBe("draft")
      expect(ok(yield* call("POST", `/api/social/drafts/${first}/approve`, { headers: as("joao") }))).toMatchObject({ approvedBy: "joao" })

      ok(yield* call("PATCH", `/api/social/drafts/${second}`, { headers: as("maria"), body: { body: "Hello hubot" } }))
      ok(yield* call("POST", `/api/social/drafts/${second}/reject`, { headers: as("operator"), body: { reason: "tone" } }))
      const sent = ok(yield* call("POST", `/api/social/drafts/${first}/send`, { headers: as("maria") }), 202)
      // A repeated send returns the same message and records nothing new.
      ok(yield* call("POST", `/api/social/drafts/${first}/send`, { headers: as("maria") }), 202)
      ok(yield* call("POST", `/api/social/messages/${sent.id}/cancel`, { headers: as("joao") }))
      ok(yield* call("POST", `/api/social/profiles/${mona}/opt-out`, { headers: as("joao"), body: { reason: "asked by mail" } }))
      const entry = ok(yield* call("POST", "/api/social/suppressions", { headers: as("maria"), body: { platform: "github", handle: "someone" } }), 201)
      ok(yield* call("DELETE", `/api/social/suppressions/${entry.id}`, { headers: as("operator") }), 204)
      const job = ok(yield* call("POST", "/api/social/discover", { headers: as("joao"), body: { platform: "github", filters: { location: "Porto" } } }), 202)

      const records = yield* allRecords("", 2)
      const ids = records.map((r) => r.id)
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids).toEqual([...ids].sort((a, b) => b - a))
      const done = records.map((r) => [r.actor, r.action, r.subjectType, r.subjectId]).reverse()
      expect(done).toEqual([
        ["maria", "draft.create", "draft", first],
        ["maria", "draft.create", "draft", second],
        ["joao", "draft.approve", "draft", first],
        ["maria", "draft.edit", "draft", second],
        ["operator", "draft.reject", "draft", second],
        ["maria", "message.send", "message", sent.id],
        ["joao", "message.cancel", "message", sent.id],
        ["joao", "profile.opt_out", "profile", mona],
        ["maria", "suppression.add", "suppression", entry.id],
        ["operator", "suppression.remove", "suppression", entry.id],
        ["joao", "discovery.start", "discovery_job", job.id]
      ])
      expect(records.find((r) => r.action === "message.send")).toMatchObject({ profileId: octo, detail: { draftId: first } })
      for (const record of records) expect(Date.parse(record.at)).toBeGreaterThan(Date.now() - 60_000)

      // Filters: by person, by action, by the profile a record is about.
      expect((yield* allRecords("&actor=maria", 50)).every((r) => r.actor === "maria")).toBe(true)
      expect((yield* allRecords("&action=draft.approve", 50)).map((r) => r.subjectId)).toEqual([first])
      expect((yield* allRecords(`&profileId=${octo}`, 50)).map((r) => r.action).sort()).toEqual(
        ["draft.approve", "draft.create", "message.cancel", "message.send"]
      )
      // No personal data and no token in the audit: the opt-out reason and the suppressed handle stay out of it.
      const text = JSON.stringify(records)
      for (const secret of [...Object.values(tokens), "asked by mail", "someone", "tone", "Hello hubot"]) expect(text).not.toContain(secret)
    }))

  it.effect("no token reaches a log line, whatever was logged", () =>
    Effect.gen(function*() {
      yield* call("GET", "/api/social/profiles", { headers: { authorization: `Bearer ${tokens.joao}-wrong` } })
      expect(logged.some((line) => line.includes("/api/social/drafts"))).toBe(true)
      for (const token of Object.values(tokens)) expect(logged.filter((line) => line.includes(token))).toEqual([])
    }))

  it.effect("the OpenAPI document has the audit, erasure and export routes, and the new errors", () =>
    Effect.gen(function*() {
      const spec = ok(yield* call("GET", "/openapi.json"))
      expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining([
        "/api/social/audit",
        "/api/social/profiles/{id}/erase",
        "/api/social/profiles/{id}/export"
      ]))
      expect(JSON.stringify(spec.paths["/api/social/discover"].post.responses["400"])).toContain("HostRefused")
      expect(JSON.stringify(spec.paths["/api/social/profiles/{id}/erase"].post.responses["409"])).toContain("SuppressionKeyMissing")
      const named = yield* call("POST", "/api/social/drafts/1/approve", { headers: as("maria"), body: { approvedBy: "someone" } })
      expect(named.body.message).toContain("approvedBy: is not accepted: the approver is the name of the API token used (API_TOKENS)")
    }))

  it.effect("a failed change writes no record", () =>
    Effect.gen(function*() {
      const before = (yield* allRecords("", 100)).length
      expect((yield* call("POST", "/api/social/drafts/999999/approve", { headers: as("maria") })).status).toBe(404)
      expect((yield* call("POST", "/api/social/profiles/999999/opt-out", { headers: as("maria") })).status).toBe(404)
      expect((yield* allRecords("", 100)).length).toBe(before)
    }))
})

layer(pgAppLayer(), { timeout: "60 seconds", excludeTestServices: true })("Without any token", (it) => {
  it.effect("changes are recorded as anonymous", () =>
    Effect.gen(function*() {
      ok(yield* call("POST", "/api/social/suppressions", { body: { platform: "github", handle: "nobody" } }), 201)
      const page = ok(yield* call("GET", "/api/social/audit"))
      expect(page.items.map((r: { actor: string; action: string }) => [r.actor, r.action])).toEqual([["anonymous", "suppression.add"]])
    }))
})

const load = (values: Record<string, string>) =>
  Effect.scoped(Layer.build(AppConfig.fromMap(values))).pipe(Effect.map((context) => context.unsafeMap.get(AppConfig.key) as AppConfig))

describe("API_TOKENS", () => {
  it.effect("takes name:token pairs, or a file of them, beside API_TOKEN's operator", () =>
    Effect.gen(function*() {
      const pairs = yield* load({ API_TOKENS: "maria:aaaa1111, joao:bbbb:2222", API_TOKEN: "cccc3333" })
      expect(pairs.tokenHolders.map((h) => [h.name, Redacted.value(h.token)])).toEqual([
        ["operator", "cccc3333"],
        ["maria", "aaaa1111"],
        ["joao", "bbbb:2222"]
      ])
      expect(pairs.openApi).toBe(false)
      expect(pairs.host).toBe("0.0.0.0")
      expect(JSON.stringify(pairs)).not.toContain("aaaa1111")
      const file = join(mkdtempSync(join(tmpdir(), "tokens-")), "tokens")
      writeFileSync(file, "# the review team\nmaria:aaaa1111\n\njoao:bbbb2222\n")
      const fromFile = yield* load({ API_TOKENS: file })
      expect(fromFile.tokenHolders.map((h) => h.name)).toEqual(["maria", "joao"])
      expect(Option.isNone(fromFile.apiToken)).toBe(true)
    }))

  for (
    const [label, value, says] of [
      ["a pair without a name", "maria:aaaa1111,:s3cr3t-one", "entry 2 is not name:token"],
      ["a pair without a token", "maria:", "entry 1 is not name:token"],
      ["a lone token", "s3cr3t-one", "no \":\""],
      ["a name given twice", "maria:aaaa1111,maria:s3cr3t-one", "given twice"],
      ["a token given twice", "maria:s3cr3t-one,joao:s3cr3t-one", "repeats the token"],
      ["a reserved name", "operator:s3cr3t-one", "reserved"],
      ["a name with a space", "ma ria:s3cr3t-one", "entry 1 is not name:token"]
    ] as const
  ) {
    it.effect(`${label} fails startup naming API_TOKENS, never printing a token`, () =>
      Effect.gen(function*() {
        const error = String(yield* Effect.flip(load({ API_TOKENS: value })))
        expect(error).toContain("API_TOKENS")
        expect(error).toContain(says)
        expect(error).not.toContain("s3cr3t-one")
      }))
  }

  it.effect("a token in API_TOKENS equal to API_TOKEN is refused", () =>
    Effect.gen(function*() {
      const error = String(yield* Effect.flip(load({ API_TOKEN: "s3cr3t-one", API_TOKENS: "maria:s3cr3t-one" })))
      expect(error).toContain("API_TOKENS")
      expect(error).not.toContain("s3cr3t-one")
    }))
})
