import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { root } from "../Package.js"

/** One file of the built page, by its path under the site root (`index.html`, `assets/main-XXXX.js`). */
export interface PageFile {
  readonly path: string
  readonly contents: Uint8Array
}

export interface BuiltPage {
  readonly files: ReadonlyArray<PageFile>
  /** Every module bundled into the page, as paths relative to the root (`node_modules/preact/…`, `src/Api.ts`). */
  readonly inputs: ReadonlyArray<string>
}

/**
 * The modules of this repository a browser may run: the API definition (`src/Api.ts`, each `X/Api.ts`),
 * the domain schemas, the concepts' pure rules (`X/Policy.ts`) and the template rules. Anything else under
 * `src/` is server code.
 */
const browserSafeSource = /^src\/(Api\.ts|[A-Za-z]+\/(Api|Policy)\.ts|Domain\/[A-Za-z]+\.ts|Drafts\/Template\.ts)$/

const serverPackage = /(^|\/)node_modules\/(@effect\/(sql|sql-pg|platform-node|platform-node-shared|experimental)|pg|pg-[a-z-]+|postgres-[a-z-]+|@electric-sql\/[^/]+|csv-parse|esbuild|tsx)\//

/** The bundled modules that have no place in a browser: server code of ours, the database stack, Node's built-ins. */
export const serverModules = (inputs: ReadonlyArray<string>): ReadonlyArray<string> =>
  inputs.filter((input) =>
    input.startsWith("node:") ||
    serverPackage.test(input) ||
    (input.startsWith("src/") && !browserSafeSource.test(input))
  )

const hashed = (name: string, extension: string, contents: Uint8Array) =>
  `assets/${name}-${createHash("sha256").update(contents).digest("base64url").slice(0, 10)}.${extension}`

const html = (script: string, style: string, icon: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Review desk · social-outreach</title>
<link rel="icon" type="image/svg+xml" href="/${icon}">
<link rel="stylesheet" href="/${style}">
<script type="module" src="/${script}"></script>
</head>
<body>
<div id="app"><p class="boot">Loading the review desk…</p></div>
<noscript>The review desk needs JavaScript. The API is at /api and its reference at /docs.</noscript>
</body>
</html>
`

/**
 * Bundles `web/main.tsx` for the browser with esbuild: one script and one stylesheet, each named by its
 * content hash so they can be cached for good, and the HTML that loads them. Fails when a server module
 * slipped into the bundle (the page imports the API definition, which must stay free of server code).
 */
export const buildPage = async (): Promise<BuiltPage> => {
  const esbuild = await import("esbuild")
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ["web/main.tsx"],
    bundle: true,
    write: false,
    outdir: "out",
    entryNames: "[name]",
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    legalComments: "none",
    jsx: "automatic",
    jsxImportSource: "preact",
    metafile: true,
    logLevel: "silent"
  })
  const inputs = Object.keys(result.metafile.inputs)
  const forbidden = serverModules(inputs)
  if (forbidden.length > 0) {
    throw new Error(`The page bundle must not contain server modules: ${forbidden.join(", ")}`)
  }
  const output = (extension: string) => {
    const file = result.outputFiles.find((file) => file.path.endsWith(`.${extension}`))
    if (file === undefined) throw new Error(`esbuild produced no .${extension} file`)
    return file.contents
  }
  const script = { path: hashed("main", "js", output("js")), contents: output("js") }
  const style = { path: hashed("main", "css", output("css")), contents: output("css") }
  const iconContents = new Uint8Array(await readFile(`${root}web/icon.svg`))
  const icon = { path: hashed("icon", "svg", iconContents), contents: iconContents }
  const index = { path: "index.html", contents: new TextEncoder().encode(html(script.path, style.path, icon.path)) }
  return { files: [index, script, style, icon], inputs }
}
