import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer } from "effect"
import { SocialTables } from "../src/Domain/Database.js"
import { call, pgAppLayer, rawCall } from "./support/App.js"

/**
 * A seeded fuzz of bad requests over every POST and PATCH route of the OpenAPI document: deep JSON, text
 * PostgreSQL cannot store, numbers past their columns, foreign media types, broken JSON, ids that are not
 * ids. Not one may be a 5xx, and not one row may change.
 */

const Runs = 5_000
const Seed = 20_261_126

const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`INSERT INTO social_profiles (platform, external_id, handle, display_name) VALUES ('github', '1', 'octo', 'Octo Cat')`
  yield* sql`INSERT INTO social_drafts (profile_id, channel, body) SELECT id, 'webhook', 'Hello' FROM social_profiles`
  yield* sql`INSERT INTO social_suppressions (platform, handle) VALUES ('github', 'someone')`
})

const App = pgAppLayer().pipe(Layer.tap((context) => Effect.orDie(Effect.provide(seed, context))))

/** Every table's content, hashed: equal digests mean not one row changed. */
const digest = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(SocialTables, (table) =>
    sql.unsafe<{ digest: string | null }>(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${table} t`).pipe(
      Effect.map((rows) => `${table}:${rows[0]?.digest ?? "empty"}`)
    ))).pipe(Effect.orDie)

// Bodies a client could well send to each route: the poisons below make each of them bad.
const examples: Record<string, unknown> = {
  "POST /api/social/discover": { platform: "bluesky", filters: { query: "fuzz", limit: 10 } },
  "POST /api/social/profiles/import": { format: "json", profiles: [{ platform: "github", handle: "fuzz", followersCount: 5 }] },
  "POST /api/social/profiles/{id}/opt-out": { reason: "fuzz" },
  "POST /api/social/drafts": { channel: "webhook", template: "Hi {{handle}}", profileIds: [1] },
  "PATCH /api/social/drafts/{id}": { body: "fuzz" },
  "POST /api/social/drafts/{id}/reject": { reason: "fuzz" },
  "POST /api/social/messages/send": { draftIds: [1] },
  "POST /api/social/suppressions": { platform: "github", handle: "fuzz", reason: "fuzz" },
  "POST /api/social/suppressions/import": { csv: "platform,handle\ngithub,fuzz\n" }
}

interface Route {
  readonly key: string
  readonly method: "POST" | "PATCH"
  readonly path: string
}

interface Bad {
  readonly path: string
  readonly headers: Record<string, string>
  readonly raw: string
}

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth)

/** Replaces one leaf of `value` chosen by `pick` (strings or numbers), if there is one. */
const replaceLeaf = (value: unknown, kind: "string" | "number", pick: number, by: unknown): unknown => {
  const leaves: Array<Array<string | number>> = []
  const walk = (v: unknown, path: Array<string | number>) => {
    if (typeof v === kind) leaves.push(path)
    else if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]))
    else if (typeof v === "object" && v !== null) for (const [k, item] of Object.entries(v)) walk(item, [...path, k])
  }
  walk(value, [])
  if (leaves.length === 0) return undefined
  const target = leaves[pick % leaves.length]!
  const copy = structuredClone(value) as Record<string | number, unknown>
  let parent = copy
  for (const step of target.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>
  parent[target[target.length - 1]!] = by
  return copy
}

const json = { "content-type": "application/json" }

const poison = (route: Route): fc.Arbitrary<Bad> => {
  const example = examples[route.key] ?? {}
  const at = (path: string) => route.path.replaceAll("{id}", path)
  const body = (value: unknown) => ({ path: at("1"), headers: json, raw: JSON.stringify(value) })
  const options: Array<fc.Arbitrary<Bad>> = [
    // JSON nested far too deep, whole or inside an otherwise good body.
    fc.integer({ min: 33, max: 20_000 }).map((depth) => ({ path: at("1"), headers: json, raw: nested(depth) })),
    fc.integer({ min: 33, max: 5_000 }).map((depth) => ({
      path: at("1"),
      headers: json,
      raw: JSON.stringify(example).replace(/^\{/, `{"deep":${nested(depth)},`).replace(/,\}$/, "}")
    })),
    // A string PostgreSQL cannot store, in every place a string goes.
    fc.tuple(fc.nat(), fc.string(), fc.constantFrom("\u0000", "\ud800", "\udfff")).map(([pick, text, bad]) =>
      body(replaceLeaf(example, "string", pick, `${text}${bad}${text}`) ?? { text: bad })
    ),
    // Numbers past their columns or not whole.
    fc.tuple(fc.nat(), fc.constantFrom(3_000_000_000, 1e20, -1, 1.5, 2 ** 53)).map(([pick, number]) =>
      body(replaceLeaf(example, "number", pick, number) ?? { limit: number })
    ),
    // Media types the API does not take, with a body that would otherwise be fine.
    fc.constantFrom("multipart/form-data; boundary=x", "text/plain", "application/x-www-form-urlencoded", "application/xml", "").map(
      (type) => ({
        path: at("1"),
        headers: type === "" ? {} : { "content-type": type },
        raw: JSON.stringify(Object.keys(example as object).length > 0 ? example : { unexpected: true })
      })
    ),
    // Not JSON at all (whitespace alone is an empty body, which a route without a payload rightly takes).
    fc.string({ minLength: 1 }).filter((text) => {
      if (text.trim() === "") return false
      try {
        JSON.parse(text)
        return false
      } catch {
        return true
      }
    }).map((raw) => ({ path: at("1"), headers: json, raw })),
    // JSON of the wrong shape (never null or {}: an endpoint with only optional fields takes those).
    fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.integer(), fc.boolean()).map((value) => body(value))
  ]
  if (route.path.includes("{id}")) {
    options.push(
      fc.constantFrom("0", "-1", "1e3", "0x10", "+1", "%201", "abc", "99999999999999999999", "1.5", "%00").map((id) => ({
        path: at(id),
        headers: json,
        raw: JSON.stringify(example)
      }))
    )
  }
  return fc.oneof(...options)
}

layer(App, { timeout: "180 seconds", excludeTestServices: true })("Fuzzed bad requests", (it) => {
  it.effect(`${Runs} bad requests over every POST and PATCH route: no 5xx, no row changed`, () =>
    Effect.gen(function*() {
      const spec = yield* call("GET", "/openapi.json")
      const routes = Object.entries(spec.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
        Object.keys(methods)
          .filter((method) => method === "post" || method === "patch")
          .map((method): Route => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase() as Route["method"], path }))
      )
      expect(routes.length).toBeGreaterThanOrEqual(Object.keys(examples).length)
      const before = yield* digest
      const requests = fc.sample(
        fc.constantFrom(...routes).chain((route) => poison(route).map((bad) => ({ route, bad }))),
        { numRuns: Runs, seed: Seed }
      )
      const failures = yield* Effect.forEach(requests, ({ bad, route }) =>
        Effect.map(rawCall(route.method, bad.path, { body: bad.raw, headers: bad.headers }), (reply) =>
          reply.status >= 500
            ? [`${route.method} ${bad.path} ${JSON.stringify(bad.headers)} ${bad.raw.slice(0, 300)} → ${reply.status} ${JSON.stringify(reply.body)}`]
            : []), { concurrency: 8 })
      expect(failures.flat()).toEqual([])
      expect(yield* digest).toEqual(before)
    }), 180_000)
})
