import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import { Webhook } from "standardwebhooks"

/** Loopback servers for sending: a Bluesky PDS with the chat service behind it, a Mastodon instance, a webhook receiver. */

/** What a fake saw of each request: enough to check what we tell third parties about ourselves. */
export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
}

const listen = async (handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) => {
  const requests: Array<SeenRequest> = []
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers })
    let body = ""
    req.on("data", (chunk) => (body += chunk))
    req.on("end", () => handler(req, body, res))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  }
}

const reply = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" })
  res.end(JSON.stringify(body))
}

export interface ChatMessage {
  readonly id: string
  readonly convoId: string
  readonly text: string
  readonly sender: { readonly did: string }
  readonly sentAt: string
}

/** A PDS that proxies `chat.bsky.convo.*` when asked with `atproto-proxy`, with sessions that can expire. */
export const fakeBlueskyPds = async (senderDid = "did:plc:sender") => {
  const state = {
    logins: 0,
    refreshes: 0,
    sends: 0,
    generation: 0,
    accessExpired: false,
    messages: [] as Array<ChatMessage>,
    proxyHeaders: [] as Array<string | undefined>
  }
  const server = await listen((req, raw, res) => {
    const url = new URL(req.url ?? "/", "http://pds")
    const nsid = url.pathname.replace("/xrpc/", "")
    const bearer = (req.headers.authorization ?? "").replace(/^Bearer /, "")
    if (nsid === "com.atproto.server.createSession") {
      const { password } = JSON.parse(raw) as { password: string }
      if (password !== "app-password") return reply(res, 401, { error: "AuthenticationRequired", message: "Invalid identifier or password" })
      state.logins++
      state.generation++
      return reply(res, 200, { did: senderDid, handle: "sender.test", accessJwt: `access-${state.generation}`, refreshJwt: `refresh-${state.generation}` })
    }
    if (nsid === "com.atproto.server.refreshSession") {
      if (bearer !== `refresh-${state.generation}`) return reply(res, 400, { error: "ExpiredToken", message: "Token has expired" })
      state.refreshes++
      state.generation++
      state.accessExpired = false
      return reply(res, 200, { did: senderDid, handle: "sender.test", accessJwt: `access-${state.generation}`, refreshJwt: `refresh-${state.generation}` })
    }
    if (!nsid.startsWith("chat.bsky.convo.")) return reply(res, 501, { error: "MethodNotImplemented", message: "Method Not Implemented" })
    if (bearer !== `access-${state.generation}` || state.accessExpired) {
      return reply(res, 400, { error: "ExpiredToken", message: "Token has expired" })
    }
    state.proxyHeaders.push(req.headers["atproto-proxy"] as string | undefined)
    if (req.headers["atproto-proxy"] !== "did:web:api.bsky.chat#bsky_chat") {
      return reply(res, 400, { error: "InvalidRequest", message: "Method not found on the AppView" })
    }
    if (nsid === "chat.bsky.convo.getConvoForMembers") {
      const member = url.searchParams.get("members") ?? ""
      if (member.includes("nodms")) return reply(res, 400, { error: "MessagesDisabled", message: "recipient has disabled incoming messages" })
      if (member.includes("follow")) return reply(res, 400, { error: "NotFollowedBySender", message: "recipient requires incoming messages to come from someone they follow" })
      return reply(res, 200, { convo: { id: `convo-${member}`, rev: "1", members: [{ did: senderDid }, { did: member }], muted: false, unreadCount: 0 } })
    }
    if (nsid === "chat.bsky.convo.getMessages") {
      const convoId = url.searchParams.get("convoId")
      return reply(res, 200, { messages: state.messages.filter((m) => m.convoId === convoId).reverse().map((m) => ({ ...m, $type: "chat.bsky.convo.defs#messageView", rev: "1" })) })
    }
    if (nsid === "chat.bsky.convo.sendMessage") {
      const { convoId, message } = JSON.parse(raw) as { convoId: string; message: { text: string } }
      state.sends++
      const sent: ChatMessage = { id: `msg-${state.messages.length + 1}`, convoId, text: message.text, sender: { did: senderDid }, sentAt: new Date().toISOString() }
      state.messages.push(sent)
      return reply(res, 200, { ...sent, rev: "2" })
    }
    return reply(res, 501, { error: "MethodNotImplemented", message: "Method Not Implemented" })
  })
  return { ...server, state, expireAccess: () => void (state.accessExpired = true) }
}

/** A Mastodon instance's `POST /api/v1/statuses`, honouring `Idempotency-Key` as Mastodon does. */
export const fakeMastodonStatuses = async (token: string) => {
  const statuses: Array<{ id: string; status: string; visibility: string; key: string | undefined }> = []
  const notifications: Array<{ id: string; type: string; created_at: string; account: { acct: string } }> = []
  const faults: Array<{ status: number; headers: Record<string, string>; body: unknown }> = []
  const byKey = new Map<string, string>()
  const server = await listen((req, raw, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) return reply(res, 401, { error: "The access token is invalid" })
    if (req.method === "GET" && req.url?.startsWith("/api/v1/notifications")) {
      const types = new URL(req.url, "http://m").searchParams.getAll("types[]")
      return reply(res, 200, notifications.filter((n) => types.length === 0 || types.includes(n.type)))
    }
    if (req.method !== "POST" || req.url !== "/api/v1/statuses") return reply(res, 404, { error: "Record not found" })
    const fault = faults.shift()
    if (fault !== undefined) {
      res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers })
      return res.end(JSON.stringify(fault.body))
    }
    const key = req.headers["idempotency-key"] as string | undefined
    const body = JSON.parse(raw) as { status: string; visibility: string }
    const existing = key !== undefined ? byKey.get(key) : undefined
    const id = existing ?? String(110000000000 + statuses.length + 1)
    if (existing === undefined) {
      statuses.push({ id, status: body.status, visibility: body.visibility, key })
      if (key !== undefined) byKey.set(key, id)
    }
    reply(res, 200, { id, uri: `https://social.example/users/sender/statuses/${id}`, visibility: body.visibility, content: `<p>${body.status}</p>` })
  })
  return { ...server, statuses, notifications, faults }
}

/** A receiver that verifies Standard Webhooks signatures and, like a careful one, ignores a repeated id. */
export const webhookReceiver = async (secret: string) => {
  const verifier = new Webhook(secret)
  const deliveries: Array<{ id: string; payload: any }> = []
  const rejected: Array<string> = []
  let failNext = 0
  let delayNext = 0
  let limitNext: string | undefined
  const server = await listen((req, raw, res) => {
    if (delayNext > 0) {
      const ms = delayNext
      delayNext = 0
      return void setTimeout(() => receive(req, raw, res), ms)
    }
    receive(req, raw, res)
  })
  function receive(req: IncomingMessage, raw: string, res: ServerResponse) {
    const id = req.headers["webhook-id"] as string
    // Verified by the Standard Webhooks library itself (signature and timestamp tolerance), not by our own code.
    let valid = true
    try {
      verifier.verify(raw, req.headers as Record<string, string>)
    } catch {
      valid = false
    }
    if (!valid) {
      rejected.push(id)
      return reply(res, 401, { error: "bad signature" })
    }
    if (failNext > 0) {
      failNext--
      return reply(res, 503, { error: "try later" })
    }
    if (limitNext !== undefined) {
      res.writeHead(429, { "content-type": "application/json", "retry-after": limitNext })
      limitNext = undefined
      return res.end(JSON.stringify({ error: "slow down" }))
    }
    if (!deliveries.some((d) => d.id === id)) deliveries.push({ id, payload: JSON.parse(raw) })
    res.writeHead(204)
    res.end()
  }
  return {
    ...server,
    deliveries,
    rejected,
    failNext: (n: number) => void (failNext = n),
    /** The next valid delivery is answered 429 with this Retry-After (seconds or an HTTP date). */
    limitNext: (retryAfter: string) => void (limitNext = retryAfter),
    delayNext: (ms: number) => void (delayNext = ms)
  }
}
