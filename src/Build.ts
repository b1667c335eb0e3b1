import { readdirSync } from "node:fs"
import { mkdir, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { root } from "./Package.js"
import { buildPage, type PageFile } from "./Web/Build.js"

/** A build: where it is, and the review desk's files (their sizes are printed). */
export interface Built {
  readonly directory: string
  readonly page: ReadonlyArray<PageFile>
}

// Loaded as packages at run time: PGlite finds its WebAssembly beside its own modules, and the builders
// are needed only to build (from source); `pg-native` is an optional part of `pg` that we do not use.
const external = ["@electric-sql/pglite", "@electric-sql/pglite-socket", "esbuild", "tsx", "pg-native"]

// CommonJS packages bundled into ES modules still call `require` for Node's own modules.
const requireShim = `import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);`

const InputsFile = "build-inputs.json"

/**
 * The service as it runs: `main` and `bin/migrate` bundled with their dependencies into a few modules
 * (shared code in chunks beside `main.js`), each migration a module of its own in `migrations/` for the
 * Migrator to find, and the review desk in `web/`. Loading three modules instead of some two thousand is
 * most of a start: 2.1 s to ready became 0.8 s, and 50 MB less memory (bench/RESULTS.md).
 *
 * Builds into `directory` (relative to the root), replacing what was there.
 */
export const build = async (directory: string): Promise<Built> => {
  const esbuild = await import("esbuild")
  const out = join(root, directory)
  const migrations = readdirSync(join(root, "src/migrations"))
    .filter((name) => name.endsWith(".ts"))
    .map((name) => ({ in: `src/migrations/${name}`, out: `migrations/${name.slice(0, -3)}` }))
  const [server, page] = await Promise.all([
    esbuild.build({
      absWorkingDir: root,
      entryPoints: [{ in: "src/main.ts", out: "main" }, { in: "src/bin/migrate.ts", out: "bin/migrate" }, ...migrations],
      outdir: out,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20.10",
      external,
      banner: { js: requireShim },
      sourcemap: true,
      metafile: true,
      write: false,
      logLevel: "warning"
    }),
    buildPage()
  ])
  await rm(out, { recursive: true, force: true })
  await mkdir(join(out, "web/assets"), { recursive: true })
  await Promise.all(server.outputFiles.map(async (file) => {
    await mkdir(join(file.path, ".."), { recursive: true })
    await writeFile(file.path, file.contents)
  }))
  await Promise.all(page.files.map((file) => writeFile(join(out, "web", file.path), file.contents)))
  // Written last, so its time says when the build was complete (start.sh rebuilds when a source is newer).
  await writeFile(join(out, InputsFile), JSON.stringify(Object.keys(server.metafile.inputs), null, 1))
  return { directory: out, page: page.files }
}
