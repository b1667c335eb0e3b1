import { createServer, type IncomingMessage, type ServerResponse } from "node:http"

/**
 * Loopback servers that speak Bluesky's AppView, a Mastodon instance and GitHub's REST API: their paths,
 * query parameters, JSON shapes, error bodies and rate-limit headers. Faults are queued per route and
 * consumed one request at a time.
 */

export type Fault =
  | {
    readonly kind: "status"
    readonly status: number
    readonly body?: unknown
    /** Fixed, or made when the request arrives (a rate limit's reset time counted from then). */
    readonly headers?: Record<string, string> | (() => Record<string, string>)
  }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "malformed" }
  | { readonly kind: "missingField" }
  | { readonly kind: "repeatCursor" }
  | { readonly kind: "empty" }

export interface Recorded {
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingMessage["headers"]
}

interface Fake {
  readonly url: string
  readonly requests: Array<Recorded>
  readonly faults: Map<string, Array<Fault>>
  /** Faults for the next requests to `route` (the path without query). */
  readonly inject: (route: string, ...faults: Array<Fault>) => void
  /** Every request to `route` waits this long (0 to stop). */
  readonly slow: (route: string, ms: number) => void
  /** Requests received and not yet answered. */
  readonly inFlight: () => number
  readonly close: () => Promise<void>
}

type Handler = (path: string, query: URLSearchParams, fault: Fault | undefined) => { status: number; body: unknown; headers?: Record<string, string> }

const serve = async (handler: Handler): Promise<Fake> => {
  const requests: Array<Recorded> = []
  const faults = new Map<string, Array<Fault>>()
  const slow = new Map<string, number>()
  let inFlight = 0
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight++
    res.once("close", () => inFlight--)
    const url = new URL(req.url ?? "/", "http://fake")
    requests.push({ path: url.pathname, query: url.searchParams, headers: req.headers })
    const fault = faults.get(url.pathname)?.shift()
    const respond = () => {
      if (fault?.kind === "status") {
        const headers = typeof fault.headers === "function" ? fault.headers() : fault.headers
        res.writeHead(fault.status, { "content-type": "application/json", ...headers })
        return res.end(JSON.stringify(fault.body ?? {}))
      }
      if (fault?.kind === "malformed") {
        res.writeHead(200, { "content-type": "application/json" })
        return res.end("{\"actors\": [ {\"did\": ")
      }
      const { body, headers, status } = handler(url.pathname, url.searchParams, fault)
      res.writeHead(status, { "content-type": "application/json", ...headers })
      res.end(JSON.stringify(body))
    }
    const wait = (fault?.kind === "delay" ? fault.ms : 0) + (slow.get(url.pathname) ?? 0)
    if (wait > 0) setTimeout(respond, wait)
    else respond()
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    inject: (route, ...more) => faults.set(route, [...(faults.get(route) ?? []), ...more]),
    slow: (route, ms) => void slow.set(route, ms),
    inFlight: () => inFlight,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

const xrpcError = (status: number, error: string, message: string) => ({ status, body: { error, message } })

/** Bluesky's public AppView with `total` actors for every query; cursors are offsets, as opaque strings. */
export const fakeBluesky = (total = 250) =>
  serve((path, query, fault) => {
    if (path === "/xrpc/app.bsky.actor.searchActors") {
      const q = query.get("q")
      if (!q) return xrpcError(400, "InvalidRequest", "Error: Params must have the property \"q\"")
      const limit = Number(query.get("limit") ?? 25)
      if (limit < 1 || limit > 100) return xrpcError(400, "InvalidRequest", "Error: limit must be <= 100")
      const offset = Number(query.get("cursor") ?? 0)
      const count = fault?.kind === "empty" ? 0 : Math.max(0, Math.min(limit, total - offset))
      const actors = Array.from({ length: count }, (_, i) => {
        const n = offset + i + 1
        const actor: Record<string, unknown> = {
          did: `did:plc:${q.replace(/\W/g, "").slice(0, 8)}${String(n).padStart(6, "0")}`,
          handle: `${q.replace(/\W/g, "")}${n}.bsky.social`,
          displayName: `Person ${n}`,
          description: `Writes about ${q}`,
          avatar: `https://cdn.bsky.app/img/avatar/plain/${n}@jpeg`,
          associated: { chat: { allowIncoming: ["all", "none", "following"][n % 3] } },
          indexedAt: "2026-11-01T00:00:00.000Z"
        }
        if (fault?.kind === "missingField") delete actor["handle"]
        return actor
      })
      const next = offset + count
      const cursor = fault?.kind === "repeatCursor" ? query.get("cursor") ?? "0" : next < total && count > 0 ? String(next) : undefined
      return { status: 200, body: cursor === undefined ? { actors } : { cursor, actors } }
    }
    if (path === "/xrpc/app.bsky.actor.getProfiles") {
      const actors = query.getAll("actors")
      if (actors.length > 25) return xrpcError(400, "InvalidRequest", "Error: actors must not have more than 25 elements")
      return {
        status: 200,
        body: {
          profiles: actors.map((did) => ({ did, handle: `${did}.test`, followersCount: Number(did.slice(-6)) * 10, followsCount: 1 }))
        }
      }
    }
    return xrpcError(501, "MethodNotImplemented", "Method Not Implemented")
  })

const account = (instance: string, n: number, extra: Record<string, unknown> = {}) => ({
  id: String(100000 + n),
  username: `user${n}`,
  acct: n % 2 === 0 ? `user${n}` : `user${n}@remote.example`,
  display_name: `Mastodon Person ${n}`,
  note: `<p>I build <a href="https://example.com">things</a> &amp; more</p>`,
  url: `https://${instance}/@user${n}`,
  avatar: `https://${instance}/avatars/${n}.png`,
  followers_count: n * 3,
  bot: false,
  discoverable: true,
  fields: [{ name: "Location", value: "Lisbon" }],
  created_at: "2024-01-01T00:00:00.000Z",
  ...extra
})

/** One Mastodon instance: `/api/v2/search` (offset only with a token) and the profile directory. */
export const fakeMastodon = (instance: string, total = 100) =>
  serve((path, query) => {
    const limitOf = (max: number, fallback: number) => Math.min(max, Number(query.get("limit") ?? fallback))
    if (path === "/api/v2/search") {
      if (!query.get("q")) return { status: 400, body: { error: "Validation failed: q is missing" } }
      const offset = Number(query.get("offset") ?? 0)
      const limit = limitOf(40, 20)
      const accounts = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) =>
        account(instance, offset + i + 1, offset + i + 1 === 3 ? { bot: true } : offset + i + 1 === 5 ? { noindex: true } : {})
      )
      return { status: 200, body: { accounts, statuses: [], hashtags: [] }, headers: { "x-ratelimit-remaining": "299" } }
    }
    if (path === "/api/v1/directory") {
      const offset = Number(query.get("offset") ?? 0)
      const limit = limitOf(80, 40)
      return {
        status: 200,
        body: Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => account(instance, offset + i + 1))
      }
    }
    return { status: 404, body: { error: "Record not found" } }
  })

/** GitHub's REST API: `/search/users` (1,000-result cap, rate-limit headers) and `/users/{login}`. */
export const fakeGithub = (total = 1500) =>
  serve((path, query) => {
    const rate = { "x-ratelimit-limit": "30", "x-ratelimit-remaining": "25", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 60) }
    if (path === "/search/users") {
      const perPage = Number(query.get("per_page") ?? 30)
      const page = Number(query.get("page") ?? 1)
      if (page * perPage > 1000 && (page - 1) * perPage >= 1000) {
        return { status: 422, body: { message: "Only the first 1000 search results are available", documentation_url: "https://docs.github.com/v3/search/" } }
      }
      const start = (page - 1) * perPage
      const items = Array.from({ length: Math.max(0, Math.min(perPage, total - start, 1000 - start)) }, (_, i) => ({
        login: `dev${start + i + 1}`,
        id: 5_000_000 + start + i + 1,
        type: "User",
        html_url: `https://github.com/dev${start + i + 1}`,
        score: 1
      }))
      return { status: 200, body: { total_count: total, incomplete_results: false, items }, headers: rate }
    }
    const user = /^\/users\/([^/]+)$/.exec(path)
    if (user) {
      const login = decodeURIComponent(user[1]!)
      const n = Number(login.replace(/\D/g, ""))
      return {
        status: 200,
        body: {
          login,
          id: 5_000_000 + n,
          name: `Developer ${n}`,
          bio: "Open source",
          location: "Berlin, Germany",
          blog: n % 2 === 0 ? `dev${n}.example` : "",
          html_url: `https://github.com/${login}`,
          avatar_url: `https://avatars.githubusercontent.com/u/${5_000_000 + n}`,
          followers: n,
          public_repos: 10,
          type: "User"
        }
      }
    }
    return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } }
  })
