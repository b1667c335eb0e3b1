import { HttpClient, HttpClientError } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Context, Duration, Effect } from "effect"
import { lookup as dnsLookup, type LookupAddress } from "node:dns"
import type { LookupFunction } from "node:net"
import { HostRefused } from "./Domain/Outbound.js"
import {
  canonicalHost,
  describeRefusal,
  IpLiteralWords,
  isIpLiteral,
  OutboundRefusedError,
  type Refusal,
  refusedAddress
} from "./Outbound/Policy.js"
import { asPlatformClient } from "./PlatformClient.js"

export interface ResolvedAddress {
  readonly address: string
  readonly family: number
}

/** Turns a host name into addresses: the system's resolver, or a fixed table in tests (which have no DNS). */
export interface HostResolver {
  readonly resolve: (hostname: string) => Promise<ReadonlyArray<ResolvedAddress>>
}

const systemResolver: HostResolver = {
  resolve: (hostname) =>
    new Promise((resolve, reject) =>
      dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))))
}

/** A reference with the system resolver as its default, so tests can put their own table in front of it. */
export class Resolver extends Context.Reference<Resolver>()("Outbound/Resolver", { defaultValue: () => systemResolver }) {}

/** How long the API waits for a name to resolve before letting the request through to the worker's check. */
const ApiResolveTimeout = Duration.seconds(3)

const hostOf = (url: string) => {
  try {
    return new URL(url).hostname
  } catch {
    return undefined
  }
}

const ipLiteral: Refusal = { rule: "ip_literal", words: IpLiteralWords }

/**
 * The `lookup` every guarded connection makes: the addresses are resolved once, each one judged, and the
 * socket connects to exactly what was judged, so a name cannot resolve to a public address for the check and
 * to a private one for the connection (DNS rebinding).
 */
const guardedLookup = (resolver: HostResolver): LookupFunction => (hostname, options, callback) => {
  resolver.resolve(hostname).then(
    (addresses) => {
      const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses
      if (wanted.length === 0) {
        return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), "", 0)
      }
      for (const { address } of addresses) {
        const refused = refusedAddress(address)
        if (refused !== undefined) return callback(new OutboundRefusedError(hostname, refused, address), "", 0)
      }
      if (options.all === true) return (callback as unknown as (e: null, all: Array<LookupAddress>) => void)(null, [...wanted])
      return callback(null, wanted[0]!.address, wanted[0]!.family)
    },
    (error: NodeJS.ErrnoException) => callback(error, "", 0)
  )
}

/**
 * The outbound guard, for every request to a host that comes from users or data (Mastodon instances today):
 * `client` is the platform client whose connections go only to public addresses, and `check` says at the API
 * already why a host will be refused. Hosts the operator lists in `MASTODON_INSTANCE_URLS` are not guarded:
 * their requests use the plain platform client.
 */
export class Outbound extends Effect.Service<Outbound>()("Outbound", {
  scoped: Effect.gen(function*() {
    const resolver = yield* Resolver
    const agent = yield* NodeHttpClient.makeAgent({ lookup: guardedLookup(resolver) })
    const base = yield* NodeHttpClient.make.pipe(Effect.provideService(NodeHttpClient.HttpAgent, agent))

    // A literal address is connected to without any lookup, so it is refused before the request is made.
    const client = asPlatformClient(
      HttpClient.mapRequestEffect(base, (request) => {
        const host = hostOf(request.url)
        return host !== undefined && !isIpLiteral(host)
          ? Effect.succeed(request)
          : Effect.fail(
            new HttpClientError.RequestError({
              request,
              reason: "Transport",
              cause: new OutboundRefusedError(host ?? request.url, ipLiteral)
            })
          )
      })
    )

    /**
     * Fails with `HostRefused` naming the rule when `host` is an IP literal or resolves to a refused address.
     * A name that does not resolve right now is let through: the worker's connection checks it again.
     */
    const check = Effect.fn("Outbound.check")(function*(host: string) {
      const canonical = canonicalHost(host) ?? host
      if (isIpLiteral(canonical)) {
        return yield* new HostRefused({ host, rule: "ip_literal", message: describeRefusal(host, ipLiteral) })
      }
      const addresses = yield* Effect.tryPromise(() => resolver.resolve(canonical)).pipe(
        Effect.timeout(ApiResolveTimeout),
        Effect.orElseSucceed((): ReadonlyArray<ResolvedAddress> => [])
      )
      for (const { address } of addresses) {
        const refused = refusedAddress(address)
        if (refused !== undefined) {
          return yield* new HostRefused({ host, rule: refused.rule, message: describeRefusal(host, refused, address) })
        }
      }
    })

    return { client, check } as const
  })
}) {}
