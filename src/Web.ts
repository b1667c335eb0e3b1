import { HttpApiBuilder, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Data, Effect } from "effect"
import { existsSync } from "node:fs"
import { readdir, readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { buildPage } from "./Web/Build.js"

/**
 * The review desk: the page at `/` and its assets under `/assets/`, served by the service itself.
 * Compiled (`node dist/main.js`), it serves what `npm run build` wrote to `dist/web`; from source (`npm
 * start`, the tests) it bundles `web/` on the first request and keeps the result in memory, so a fresh
 * page needs no extra command.
 */

/** Only our own scripts, styles and images; no inline script or style, no framing, no form posts elsewhere. */
export const ContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join("; ")

export const PageHeaders = {
  "content-security-policy": ContentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin"
} as const

/** Hashed names change with their content: cached for a year. The HTML that names them is never cached. */
const ImmutableCache = "public, max-age=31536000, immutable"
const NoCache = "no-store"

class PageUnavailable extends Data.TaggedError("PageUnavailable")<{ readonly message: string }> {}

interface Asset {
  readonly contentType: string
  readonly body: Uint8Array
  readonly gzipped: Uint8Array
}

const contentTypes: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml"
}

const asset = (path: string, body: Uint8Array): Asset => ({
  contentType: contentTypes[path.slice(path.lastIndexOf(".") + 1)] ?? "application/octet-stream",
  body,
  gzipped: new Uint8Array(gzipSync(body, { level: 9 }))
})

const builtDirectory = fileURLToPath(new URL("./web/", import.meta.url))
// What `npm run build` wrote next to the compiled service; without it (from source) the page is bundled here.
const built = existsSync(`${builtDirectory}index.html`)

const readBuilt = async () => {
  const paths = ["index.html", ...(await readdir(`${builtDirectory}assets`)).map((name) => `assets/${name}`)]
  return Promise.all(paths.map(async (path) => ({ path, contents: new Uint8Array(await readFile(builtDirectory + path)) })))
}

const load = async () => {
  const files = built ? await readBuilt() : (await buildPage()).files
  return new Map(files.map((file) => [file.path, asset(file.path, file.contents)]))
}

// One build per process, shared by every server in it; a failed one is tried again on the next request.
let loading: Promise<ReadonlyMap<string, Asset>> | undefined

const assets = Effect.tryPromise({
  try: () =>
    loading ??= load().catch((error: unknown) => {
      loading = undefined
      throw error
    }),
  catch: (error) =>
    new PageUnavailable({
      message: built
        ? `The review desk's build in ${builtDirectory} could not be read (${String(error)}). Run: npm run build`
        : `The review desk could not be built: ${error instanceof Error ? error.message : String(error)}`
    })
})

const text = (body: string, status: number) =>
  HttpServerResponse.text(body, { status, headers: { ...PageHeaders, "cache-control": NoCache } })

const serve = (path: string, cacheControl: string) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const found = (yield* assets).get(path)
    if (found === undefined) return text(`No such file: /${path}`, 404)
    const gzip = /\bgzip\b/.test(request.headers["accept-encoding"] ?? "")
    return HttpServerResponse.uint8Array(gzip ? found.gzipped : found.body, {
      contentType: found.contentType,
      headers: {
        ...PageHeaders,
        "cache-control": cacheControl,
        vary: "Accept-Encoding",
        ...(gzip ? { "content-encoding": "gzip" } : {})
      }
    })
  }).pipe(
    Effect.catchTag("PageUnavailable", (error) =>
      Effect.logError(error.message).pipe(Effect.as(text(error.message, 503))))
  )

/** Mounts the page beside the API on the server `HttpApiBuilder.serve` builds. */
export const WebLive = HttpApiBuilder.Router.use((router) =>
  Effect.all([
    router.get("/", serve("index.html", NoCache)),
    router.get(
      "/assets/:name",
      Effect.flatMap(HttpRouter.params, ({ name }) => serve(`assets/${name ?? ""}`, ImmutableCache))
    )
  ])
)
