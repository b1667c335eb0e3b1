import { describe, expect, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { gzipSync } from "node:zlib"
import { ContentSecurityPolicy } from "../src/Web.js"
import { buildPage, serverModules } from "../src/Web/Build.js"
import { call, pgAppLayer } from "./support/App.js"

const page = buildPage()

describe("The page bundle", () => {
  it("is built from the API definition and holds no server module", async () => {
    const { inputs } = await page
    // The client is derived from the same HttpApi the server implements.
    expect(inputs).toContain("src/Api.ts")
    expect(inputs).toContain("src/Drafts/Api.ts")
    expect(inputs.some((input) => input.startsWith("node_modules/@effect/platform/"))).toBe(true)
    expect(serverModules(inputs)).toEqual([])
  })

  it("would be refused with server code in it", () => {
    expect(serverModules([
      "src/Api.ts",
      "src/Domain/Draft.ts",
      "src/Drafts/Template.ts",
      "src/Drafts.ts",
      "src/Drafts/Repo.ts",
      "node_modules/@effect/sql/dist/esm/SqlClient.js",
      "node_modules/@effect/sql-pg/dist/esm/PgClient.js",
      "node_modules/pg/lib/index.js",
      "node_modules/effect/dist/esm/Schema.js",
      "node:crypto"
    ])).toEqual([
      "src/Drafts.ts",
      "src/Drafts/Repo.ts",
      "node_modules/@effect/sql/dist/esm/SqlClient.js",
      "node_modules/@effect/sql-pg/dist/esm/PgClient.js",
      "node_modules/pg/lib/index.js",
      "node:crypto"
    ])
  })

  it("ships at most 250 KB of gzipped JavaScript", async () => {
    const scripts = (await page).files.filter((file) => file.path.endsWith(".js"))
    expect(scripts).toHaveLength(1)
    const gzipped = scripts.reduce((total, file) => total + gzipSync(file.contents, { level: 9 }).length, 0)
    expect(gzipped).toBeLessThanOrEqual(250 * 1024)
  })
})

layer(pgAppLayer(), { timeout: "60 seconds", excludeTestServices: true })("Serving the page", (it) => {
  it.effect("/ is the page: strict CSP, nosniff, no referrer, never cached, no inline script or style", () =>
    Effect.gen(function*() {
      const reply = yield* call("GET", "/")
      expect(reply.status).toBe(200)
      expect(reply.headers["content-type"]).toBe("text/html; charset=utf-8")
      expect(reply.headers["content-security-policy"]).toBe(ContentSecurityPolicy)
      expect(ContentSecurityPolicy).toContain("default-src 'self'")
      expect(ContentSecurityPolicy).not.toContain("unsafe-inline")
      expect(reply.headers["x-content-type-options"]).toBe("nosniff")
      expect(reply.headers["referrer-policy"]).toBe("no-referrer")
      expect(reply.headers["cache-control"]).toBe("no-store")
      const html = String(reply.body)
      expect(html).toMatch(/<script type="module" src="\/assets\/main-[\w-]+\.js"><\/script>/)
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/)
      expect(html).not.toMatch(/<style|\sstyle=|\son\w+=/)
      // Nothing from elsewhere: every address in the page is our own.
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    }))

  it.effect("hashed assets are cached for good, gzipped when asked, with the same headers", () =>
    Effect.gen(function*() {
      const html = String((yield* call("GET", "/")).body)
      const [script, style] = [/src="(\/assets\/[^"]+\.js)"/, /href="(\/assets\/[^"]+\.css)"/].map((pattern) => pattern.exec(html)![1]!)
      const plain = yield* call("GET", script!)
      expect(plain.status).toBe(200)
      expect(plain.headers["content-type"]).toBe("text/javascript; charset=utf-8")
      expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable")
      expect(plain.headers["content-security-policy"]).toBe(ContentSecurityPolicy)
      expect(plain.headers["x-content-type-options"]).toBe("nosniff")
      const css = yield* call("GET", style!)
      expect(css.headers["content-type"]).toBe("text/css; charset=utf-8")
      const zipped = yield* call("GET", script!, { headers: { "accept-encoding": "gzip, br" } })
      expect(zipped.headers["content-encoding"]).toBe("gzip")
      expect(zipped.headers["vary"]).toBe("Accept-Encoding")
    }))

  it.effect("an unknown asset is a 404 that is not cached; the API and the docs are as before", () =>
    Effect.gen(function*() {
      const missing = yield* call("GET", "/assets/main-0000000000.js")
      expect(missing.status).toBe(404)
      expect(missing.headers["cache-control"]).toBe("no-store")
      expect(missing.headers["x-content-type-options"]).toBe("nosniff")
      const api = yield* call("GET", "/api/social/profiles")
      expect(api.status).toBe(200)
      expect(api.body).toEqual({ items: [], nextCursor: null })
      // Swagger UI keeps its own inline script: the page's policy is not put on it.
      const docs = yield* call("GET", "/docs")
      expect(docs.status).toBe(200)
      expect(docs.headers["content-security-policy"]).toBeUndefined()
      const unknown = yield* call("GET", "/nothing-here")
      expect(unknown.status).toBe(404)
      expect(unknown.body._tag).toBe("RouteNotFound")
    }))
})
