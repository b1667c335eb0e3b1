import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer } from "effect"
import { canonicalHost, isIpLiteral, refusedAddress } from "../src/Outbound/Policy.js"
import { call, pgAppLayer } from "./support/App.js"
import { ensure, eventually } from "./support/Eventually.js"
import { fakeMastodon } from "./support/FakePlatforms.js"
import { testResolver } from "./support/Resolver.js"

const octet = fc.integer({ min: 0, max: 255 })
const ipv4In = (first: number, second?: { readonly min: number; readonly max: number }) =>
  fc.tuple(second === undefined ? octet : fc.integer(second), octet, octet).map(([b, c, d]) => `${first}.${b}.${c}.${d}`)
const hextet = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16))
const ipv6With = (first: fc.Arbitrary<string>) => fc.tuple(first, fc.array(hextet, { minLength: 7, maxLength: 7 })).map(([a, rest]) => [a, ...rest].join(":"))

const refusedRanges: ReadonlyArray<[string, fc.Arbitrary<string>, string]> = [
  ["loopback 127/8", ipv4In(127), "loopback"],
  ["private 10/8", ipv4In(10), "private"],
  ["private 172.16/12", ipv4In(172, { min: 16, max: 31 }), "private"],
  ["private 192.168/16", ipv4In(192, { min: 168, max: 168 }), "private"],
  ["link-local 169.254/16", ipv4In(169, { min: 254, max: 254 }), "link_local"],
  ["carrier-grade NAT 100.64/10", ipv4In(100, { min: 64, max: 127 }), "carrier_grade_nat"],
  ["multicast 224/4", fc.integer({ min: 224, max: 239 }).chain((a) => ipv4In(a)), "multicast"],
  ["unspecified 0/8", ipv4In(0), "unspecified"],
  ["link-local fe80::/10", ipv6With(fc.integer({ min: 0xfe80, max: 0xfebf }).map((n) => n.toString(16))), "link_local"],
  ["unique-local fc00::/7", ipv6With(fc.integer({ min: 0xfc00, max: 0xfdff }).map((n) => n.toString(16))), "unique_local"],
  ["multicast ff00::/8", ipv6With(fc.integer({ min: 0xff00, max: 0xffff }).map((n) => n.toString(16))), "multicast"]
]

describe("The outbound guard's rules", () => {
  for (const [name, addresses, rule] of refusedRanges) {
    it.prop(`every ${name} address is refused as ${rule}`, [addresses], ([address]) => {
      expect(refusedAddress(address)?.rule).toBe(rule)
    })
  }

  it.prop("an IPv4 address written as IPv6 (mapped, compatible, NAT64, 6to4) is judged as that IPv4 address", [
    fc.tuple(octet, octet, octet, octet)
  ], ([[a, b, c, d]]) => {
    const v4 = `${a}.${b}.${c}.${d}`
    const hex = (x: number, y: number) => ((x << 8) | y).toString(16)
    const expected = refusedAddress(v4)?.rule
    for (const form of [`::ffff:${v4}`, `::ffff:${hex(a, b)}:${hex(c, d)}`, `64:ff9b::${v4}`, `2002:${hex(a, b)}:${hex(c, d)}::1`]) {
      expect(refusedAddress(form)?.rule, form).toBe(expected)
    }
    if (a !== 0 || b !== 0 || c !== 0 || d > 1) expect(refusedAddress(`::${v4}`)?.rule).toBe(expected)
  })

  it("the IPv6 loopback and unspecified addresses are refused; public addresses pass", () => {
    expect(refusedAddress("::1")?.rule).toBe("loopback")
    expect(refusedAddress("0:0:0:0:0:0:0:1")?.rule).toBe("loopback")
    expect(refusedAddress("::")?.rule).toBe("unspecified")
    expect(refusedAddress("fe80::1%eth0")?.rule).toBe("link_local")
    expect(refusedAddress("255.255.255.255")?.rule).toBe("reserved")
    for (const address of ["8.8.8.8", "1.1.1.1", "100.63.255.255", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) {
      expect(refusedAddress(address), address).toBeUndefined()
    }
  })

  it("literals are recognised in every form URL parsing accepts, names are not literals", () => {
    for (const literal of ["127.0.0.1", "0x7f.1", "2130706433", "017700000001", "[::1]", "::ffff:10.0.0.1", "10.1"]) {
      expect(isIpLiteral(literal), literal).toBe(true)
    }
    expect(canonicalHost("0x7f.1")).toBe("127.0.0.1")
    for (const name of ["mastodon.social", "evil.test", "1.2.3.4.nip.io", "x1.example"]) expect(isIpLiteral(name), name).toBe(false)
  })
})

const jobsCount = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ n: number }>`SELECT count(*)::int AS n FROM social_discovery_jobs`.pipe(Effect.map((rows) => rows[0]!.n), Effect.orDie))

// `rebind.test` answers a public address to the first lookup (the API's check) and loopback afterwards.
let rebindLookups = 0
const resolver = testResolver({
  "intranet.test": "10.1.2.3",
  "metadata.test": "169.254.169.254",
  "mapped.test": "::ffff:192.168.1.1",
  "mixed.test": ["203.0.113.10", "127.0.0.1"],
  "rebind.test": () => (rebindLookups++ === 0 ? "203.0.113.10" : "127.0.0.1")
})

const App = Layer.unwrapScoped(Effect.gen(function*() {
  const fake = yield* Effect.acquireRelease(Effect.promise(() => fakeMastodon("listed.test", 10)), (f) => Effect.promise(f.close))
  return pgAppLayer({
    MASTODON_INSTANCE_URLS: `listed.test=${fake.url}`,
    DISCOVERY_WORKERS: "1",
    DISCOVERY_POLL_INTERVAL: "50 millis",
    DISCOVERY_RETRY_BASE: "100 millis",
    PROVIDER_REQUEST_TIMEOUT: "2 seconds"
  }, { workers: true, resolver })
}))

const discover = (instance: string) =>
  call("POST", "/api/social/discover", { body: { platform: "mastodon", filters: { instance, query: "rust", limit: 5 } } })

layer(App, { timeout: "60 seconds", excludeTestServices: true })("The outbound guard at the API and in the worker", (it) => {
  it.effect("an IP literal or a name that resolves to a non-public address is a 400 naming the rule, and no job is queued", () =>
    Effect.gen(function*() {
      const before = yield* jobsCount
      const cases: ReadonlyArray<[string, string, string]> = [
        ["127.0.0.1", "ip_literal", "IP address literal"],
        ["0x7f.1", "ip_literal", "IP address literal"],
        ["evil.test", "loopback", "127.0.0.1, a loopback address (127.0.0.0/8)"],
        ["intranet.test", "private", "10.1.2.3, a private address (10.0.0.0/8)"],
        ["metadata.test", "link_local", "169.254.169.254, a link-local address (169.254.0.0/16)"],
        ["mapped.test", "private", "a private address (192.168.0.0/16), written as IPv6"],
        ["mixed.test", "loopback", "127.0.0.1, a loopback address"]
      ]
      for (const [instance, rule, words] of cases) {
        const reply = yield* discover(instance)
        expect(reply.status, instance).toBe(400)
        expect(reply.body).toMatchObject({ _tag: "HostRefused", host: instance, rule })
        expect(reply.body.message, instance).toContain(words)
      }
      expect(yield* jobsCount).toBe(before)
    }))

  it.effect("an instance the operator lists in MASTODON_INSTANCE_URLS is reached as configured", () =>
    Effect.gen(function*() {
      const reply = yield* discover("listed.test")
      expect(reply.status).toBe(202)
      const job = yield* eventually(Effect.flatMap(call("GET", `/api/social/discover/${reply.body.id}`), (r) =>
        Effect.as(ensure(r.body.status === "succeeded", `status ${r.body.status}`), r.body)))
      expect(job.profilesFound).toBeGreaterThan(0)
    }))

  it.effect("a name that resolves to a public address for the check and to loopback later fails its job at connection time", () =>
    Effect.gen(function*() {
      const reply = yield* discover("rebind.test")
      expect(reply.status).toBe(202)
      const job = yield* eventually(Effect.flatMap(call("GET", `/api/social/discover/${reply.body.id}`), (r) =>
        Effect.as(ensure(r.body.status === "failed", `status ${r.body.status}`), r.body)))
      expect(job.lastError).toContain("rebind.test is refused by the outbound guard")
      expect(job.lastError).toContain("127.0.0.1, a loopback address (127.0.0.0/8)")
      // Failed at once: a refused address is not a transient failure to retry.
      expect(job.attempts).toBe(1)
    }))

  it.effect("a job that reached the queue another way (an older version) is refused by the worker too", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ id: number }>`INSERT INTO social_discovery_jobs (platform, filters, max_attempts)
        VALUES ('mastodon', ${JSON.stringify({ instance: "127.0.0.1", query: "x" })}::jsonb, 3),
               ('mastodon', ${JSON.stringify({ instance: "evil.test", query: "x" })}::jsonb, 3)
        RETURNING id`.pipe(Effect.orDie)
      for (const [{ id }, words] of [[rows[0]!, "IP address literal"], [rows[1]!, "loopback address"]] as const) {
        const job = yield* eventually(Effect.flatMap(call("GET", `/api/social/discover/${id}`), (r) =>
          Effect.as(ensure(r.body.status === "failed", `status ${r.body.status}`), r.body)))
        expect(job.lastError).toContain(words)
      }
    }))
})
