import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Effect, FastCheck as fc, Schema } from "effect"
import { ProfileStatus, ProfileSource } from "../src/Domain/Profile.js"
import { Platform } from "../src/Domain/Platform.js"
import { ProfilesPage } from "../src/Profiles/Api.js"
import { call, pgAppLayer } from "./support/App.js"

// The list endpoint sends rows as PostgreSQL gives them, without its response schema (Profiles/Repo.ts):
// this holds it to that schema for stored rows of every shape.

/** Text PostgreSQL stores: any unicode but NUL, with the awkward cases made likely. */
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("", " ", "\"quoted\" \\ back\\slash", "line\nbreak\ttab", "</script><b>&amp;", "emoji 👩🏽‍💻 ✓", "\u2028\u2029", "ａｄａ")
).filter((value) => !value.includes("\u0000"))
const nonEmpty = text.filter((value) => value.length > 0)
const nullable = <A>(value: fc.Arbitrary<A>) => fc.option(value, { nil: null, freq: 3 })
const instant = fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2200-12-31T23:59:59Z"), noInvalidDate: true })
  .map((date) => date.toISOString())

const row = fc.record({
  id: fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.constant(2 ** 31)),
  platform: fc.constantFrom(...Platform.literals),
  externalId: nonEmpty,
  handle: nonEmpty,
  displayName: nullable(text),
  bio: nullable(text),
  location: nullable(text),
  url: nullable(text),
  avatarUrl: nullable(text),
  followersCount: nullable(fc.oneof(fc.constantFrom(0, 2 ** 31 - 1), fc.integer({ min: 0, max: 2 ** 31 - 1 }))),
  acceptsDms: nullable(fc.boolean()),
  status: fc.constantFrom(...ProfileStatus.literals),
  source: fc.constantFrom(...ProfileSource.literals),
  fromJob: fc.boolean(),
  firstSeenAt: instant,
  lastSeenAt: instant,
  createdAt: instant,
  updatedAt: instant,
  erasedAt: nullable(instant)
})
type Row = typeof row extends fc.Arbitrary<infer A> ? A : never

const rows = fc.uniqueArray(row, { maxLength: 12, selector: (r) => r.id })
  .map((all) => [...new Map(all.map((r) => [`${r.platform}\u0000${r.externalId}`, r])).values()])

const decodePage = Schema.decodeUnknownEither(ProfilesPage, { onExcessProperty: "error" })
const encodePage = Schema.encodeSync(ProfilesPage)

layer(pgAppLayer(), { timeout: "60 seconds", excludeTestServices: true })("The profile list on the wire", (it) => {
  it.effect.prop(
    "decodes with the schema it declares, is exactly that schema's encoding, and says what was stored",
    [rows, fc.integer({ min: 1, max: 5 })],
    ([stored, limit]) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`DELETE FROM social_profiles`
        yield* sql`DELETE FROM social_discovery_jobs`
        const [job] = yield* sql<{ id: number }>`INSERT INTO social_discovery_jobs (platform) VALUES ('github') RETURNING id`
        for (const r of stored) {
          yield* sql`INSERT INTO social_profiles (id, platform, external_id, handle, display_name, bio, location, url,
              avatar_url, followers_count, accepts_dms, status, source, discovery_job_id, first_seen_at, last_seen_at,
              created_at, updated_at, erased_at)
            OVERRIDING SYSTEM VALUE VALUES (${r.id}, ${r.platform}, ${r.externalId}, ${r.handle}, ${r.displayName}, ${r.bio},
              ${r.location}, ${r.url}, ${r.avatarUrl}, ${r.followersCount}, ${r.acceptsDms}, ${r.status}, ${r.source},
              ${r.fromJob ? job!.id : null}, ${r.firstSeenAt}, ${r.lastSeenAt}, ${r.createdAt}, ${r.updatedAt}, ${r.erasedAt})`
        }

        const reply = yield* call("GET", `/api/social/profiles?limit=${limit}`)
        expect(reply.status).toBe(200)
        const page = decodePage(reply.body)
        if (page._tag === "Left") throw new Error(`The page does not decode: ${page.left.message}`)
        expect(encodePage(page.right)).toStrictEqual(reply.body)

        // Archived people are out of the default list; the rest newest (highest id) first.
        const listed = stored.filter((r) => r.status !== "archived").sort((a, b) => b.id - a.id)
        const expected = listed.slice(0, limit)
        expect(page.right.items.map((item) => item.id)).toStrictEqual(expected.map((r) => r.id))
        page.right.items.forEach((item, i) => {
          const r: Row = expected[i]!
          const { fromJob, firstSeenAt, lastSeenAt, createdAt, updatedAt, erasedAt, ...same } = r
          expect(item).toMatchObject({ ...same, discoveryJobId: fromJob ? job!.id : null })
          const instants = [item.firstSeenAt, item.lastSeenAt, item.createdAt, item.updatedAt, item.erasedAt]
          expect(instants.map((at) => (at === null ? null : new Date(at).toISOString())))
            .toStrictEqual([firstSeenAt, lastSeenAt, createdAt, updatedAt, erasedAt])
        })
        expect(page.right.nextCursor === null).toBe(listed.length <= limit)
      }),
    { fastCheck: { numRuns: 60 } }
  )
})
