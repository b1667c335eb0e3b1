import type { OutboundRule as OutboundRuleSchema } from "../Domain/Outbound.js"

/**
 * Which addresses a request to a host chosen by users or data may reach: public unicast only. The rules are
 * pure, so they can be checked for every address, and IPv4 written inside IPv6 (mapped, compatible, NAT64,
 * 6to4) is judged as the IPv4 address it reaches.
 */

type OutboundRule = typeof OutboundRuleSchema.Type

export interface Refusal {
  readonly rule: OutboundRule
  /** "a loopback address (127.0.0.0/8)": what the address is, in words, with the range. */
  readonly words: string
}

interface Range {
  readonly bits: ReadonlyArray<number>
  readonly prefix: number
  readonly rule: OutboundRule
  readonly words: string
}

const v4 = (cidr: string, rule: OutboundRule, kind: string): Range => {
  const [address, prefix] = cidr.split("/") as [string, string]
  return { bits: parseIpv4(address)!, prefix: Number(prefix), rule, words: `${kind} (${cidr})` }
}

const v6 = (cidr: string, rule: OutboundRule, kind: string): Range => {
  const [address, prefix] = cidr.split("/") as [string, string]
  return { bits: parseIpv6(address)!, prefix: Number(prefix), rule, words: `${kind} (${cidr})` }
}

/** The four bytes of a dotted-quad IPv4 address, or undefined. */
export const parseIpv4 = (text: string): Array<number> | undefined => {
  const parts = text.split(".")
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined
  return parts.map(Number)
}

/** The sixteen bytes of an IPv6 address (a zone id such as `%eth0` is ignored), or undefined. */
export const parseIpv6 = (text: string): Array<number> | undefined => {
  const address = text.replace(/%.*$/, "")
  if (!address.includes(":")) return undefined
  let head = address
  let tail: Array<number> = []
  const lastColon = address.lastIndexOf(":")
  if (address.slice(lastColon + 1).includes(".")) {
    const embedded = parseIpv4(address.slice(lastColon + 1))
    if (embedded === undefined) return undefined
    tail = [(embedded[0]! << 8) | embedded[1]!, (embedded[2]! << 8) | embedded[3]!]
    head = address.slice(0, lastColon + 1)
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1)
  }
  const halves = head.split("::")
  if (halves.length > 2) return undefined
  const group = (part: string) => (part === "" ? [] : part.split(":"))
  const words = (groups: Array<string>) =>
    groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g)) ? groups.map((g) => parseInt(g, 16)) : undefined
  const left = words(group(halves[0]!))
  const right = halves.length === 2 ? words(group(halves[1]!)) : []
  if (left === undefined || right === undefined) return undefined
  const fill = 8 - left.length - right.length - tail.length
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined
  const all = [...left, ...Array<number>(fill).fill(0), ...right, ...tail]
  return all.flatMap((w) => [w >> 8, w & 0xff])
}

const Ipv4Ranges: ReadonlyArray<Range> = [
  v4("0.0.0.0/8", "unspecified", "an unspecified address"),
  v4("10.0.0.0/8", "private", "a private address"),
  v4("100.64.0.0/10", "carrier_grade_nat", "a carrier-grade NAT address"),
  v4("127.0.0.0/8", "loopback", "a loopback address"),
  v4("169.254.0.0/16", "link_local", "a link-local address"),
  v4("172.16.0.0/12", "private", "a private address"),
  v4("192.0.0.0/24", "reserved", "a reserved address"),
  v4("192.168.0.0/16", "private", "a private address"),
  v4("198.18.0.0/15", "reserved", "a reserved address"),
  v4("224.0.0.0/4", "multicast", "a multicast address"),
  v4("240.0.0.0/4", "reserved", "a reserved address")
]

const Ipv6Ranges: ReadonlyArray<Range> = [
  v6("::/128", "unspecified", "an unspecified address"),
  v6("::1/128", "loopback", "a loopback address"),
  v6("fe80::/10", "link_local", "a link-local address"),
  v6("fec0::/10", "link_local", "a site-local address"),
  v6("fc00::/7", "unique_local", "a unique-local address"),
  v6("ff00::/8", "multicast", "a multicast address")
]

const within = (bytes: ReadonlyArray<number>, range: Range) => {
  for (let bit = 0; bit < range.prefix; bit++) {
    const mask = 0x80 >> (bit % 8)
    if ((bytes[bit >> 3]! & mask) !== (range.bits[bit >> 3]! & mask)) return false
  }
  return true
}

const judge = (bytes: ReadonlyArray<number>, ranges: ReadonlyArray<Range>): Refusal | undefined => {
  const range = ranges.find((r) => within(bytes, r))
  return range === undefined ? undefined : { rule: range.rule, words: range.words }
}

const zeros = (bytes: ReadonlyArray<number>, from: number, to: number) => bytes.slice(from, to).every((b) => b === 0)

/** The IPv4 address an IPv6 address stands for: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64 or 6to4. */
const embeddedIpv4 = (bytes: ReadonlyArray<number>): ReadonlyArray<number> | undefined => {
  if (zeros(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12)
  if (zeros(bytes, 0, 12)) return bytes.slice(12)
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(bytes, 4, 12)) return bytes.slice(12)
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6)
  return undefined
}

/**
 * Why a request must not connect to `address` (an IP address as a resolver returns it), or undefined when
 * it is a public address. Text that is no IP address at all is refused too: nothing unknown is let through.
 */
export const refusedAddress = (address: string): Refusal | undefined => {
  const ipv4 = parseIpv4(address)
  if (ipv4 !== undefined) return judge(ipv4, Ipv4Ranges)
  const ipv6 = parseIpv6(address)
  if (ipv6 === undefined) return { rule: "reserved", words: "not an IP address" }
  // `::` and `::1` first: they would otherwise read as the IPv4-compatible 0.0.0.0 and 0.0.0.1.
  const direct = judge(ipv6, Ipv6Ranges)
  if (direct !== undefined) return direct
  const inner = embeddedIpv4(ipv6)
  const refused = inner === undefined ? undefined : judge(inner, Ipv4Ranges)
  return refused === undefined ? undefined : { rule: refused.rule, words: `${refused.words}, written as IPv6` }
}

/**
 * The host part of `https://<host>/` as a client would connect to it, or undefined when it is no valid host.
 * URL parsing is what turns `0x7f.1` or `2130706433` into `127.0.0.1`, so literals are judged in that form.
 */
export const canonicalHost = (host: string): string | undefined => {
  try {
    return new URL(`https://${host}/`).hostname.replace(/^\[(.*)\]$/, "$1")
  } catch {
    return undefined
  }
}

/** True when `host` (after URL parsing) is an IPv4 or IPv6 address rather than a name. */
export const isIpLiteral = (host: string) => {
  const canonical = canonicalHost(host) ?? host
  return parseIpv4(canonical) !== undefined || parseIpv6(canonical) !== undefined
}

export const IpLiteralWords = "an IP address literal (name the host; only names that resolve to public addresses are reached)"

/** The sentence a refusal is reported with, for the API's 400 and for a job's `lastError` alike. */
export const describeRefusal = (host: string, refusal: Refusal, address?: string) =>
  refusal.rule === "ip_literal"
    ? `${host} is refused by the outbound guard: it is ${refusal.words}`
    : `${host} is refused by the outbound guard: it resolves to ${address ?? "an address"}, ${refusal.words}; ` +
      "only public addresses are reached (list a host in MASTODON_INSTANCE_URLS to allow it on purpose)"

/**
 * The error a connection attempt fails with when the address it would connect to is refused. It travels
 * through Node's socket and the HTTP client as a cause; `code` is how it is recognised on the other side.
 */
export class OutboundRefusedError extends Error {
  readonly code = "ERR_OUTBOUND_REFUSED"
  constructor(readonly host: string, readonly refusal: Refusal, readonly address?: string) {
    super(describeRefusal(host, refusal, address))
  }
}

/** The guard's words if `cause` (or anything it was caused by) is a refused connection. */
export const outboundRefusalIn = (cause: unknown): string | undefined => {
  let current = cause as { code?: unknown; message?: unknown; cause?: unknown } | undefined
  for (let depth = 0; current !== undefined && current !== null && depth < 6; depth++) {
    if (current.code === "ERR_OUTBOUND_REFUSED" && typeof current.message === "string") return current.message
    current = current.cause as typeof current
  }
  return undefined
}
