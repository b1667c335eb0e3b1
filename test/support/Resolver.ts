import type { HostResolver, ResolvedAddress } from "../../src/Outbound.js"

const notFound = (name: string) => Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: "ENOTFOUND" })

const familyOf = (address: string) => (address.includes(":") ? 6 : 4)

/**
 * A resolver for tests, which have no DNS: `*.test` and `localhost` are 127.0.0.1 unless `table` says
 * otherwise, every other name is not found. A table entry may be a function, to answer differently per
 * lookup (DNS rebinding).
 */
export const testResolver = (table: Record<string, string | ReadonlyArray<string> | (() => string)> = {}): HostResolver => ({
  resolve: async (name): Promise<ReadonlyArray<ResolvedAddress>> => {
    const entry = table[name.toLowerCase()]
    const answer = typeof entry === "function" ? entry() : entry ?? (/(^|\.)(test|localhost)$/i.test(name) ? "127.0.0.1" : undefined)
    if (answer === undefined) throw notFound(name)
    return (typeof answer === "string" ? [answer] : answer).map((address) => ({ address, family: familyOf(address) }))
  }
})
