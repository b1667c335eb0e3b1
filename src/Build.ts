import { readdirSync } from "node:fs"
import { mkdir, rename, rm, utimes, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { root } from "./Package.js"
import { buildPage, type PageFile } from "./Web/Build.js"

/** A build: where it is, and the review desk's files (their sizes are printed). */
export interface Built {
  readonly directory: string
  readonly page: ReadonlyArray<PageFile>
}

// Loaded as packages at run time: PGlite finds its WebAssembly beside its own modules, esbuild is needed
// only to build the page from source; `pg-native` is an optional part of `pg` that we do not use.
const external = ["@electric-sql/pglite", "@electric-sql/pglite-socket", "esbuild", "pg-native"]

// CommonJS packages bundled into ES modules still call `require` for Node's own modules.
const requireShim = `import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);`

/** Its time is when the build began: start.sh rebuilds when a source is newer (saved during a build, too). */
const Stamp = "build-stamp"

/**
 * The service as it runs: `main` and `bin/migrate` bundled with their dependencies into a few modules
 * (shared code in chunks beside `main.js`), each migration a module of its own in `migrations/` for the
 * Migrator to find, and the review desk in `web/`. Loading three modules instead of some two thousand is
 * most of a start, and of the memory it holds (README, Benchmark). Nothing is minified: a stack trace in
 * production names the function and a readable line of the bundle.
 *
 * Builds beside `directory` (relative to the root), then puts the build in its place, so a process that
 * started from the old one never finds half of it.
 */
export const build = async (directory: string): Promise<Built> => {
  const began = new Date()
  const esbuild = await import("esbuild")
  const out = join(root, directory)
  const next = `${out}.next-${process.pid}`
  const migrations = readdirSync(join(root, "src/migrations"))
    .filter((name) => name.endsWith(".ts"))
    .map((name) => ({ in: `src/migrations/${name}`, out: `migrations/${name.slice(0, -3)}` }))
  const [server, page] = await Promise.all([
    esbuild.build({
      absWorkingDir: root,
      entryPoints: [{ in: "src/main.ts", out: "main" }, { in: "src/bin/migrate.ts", out: "bin/migrate" }, ...migrations],
      outdir: next,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20.10",
      external,
      banner: { js: requireShim },
      sourcemap: true,
      write: false,
      logLevel: "warning"
    }),
    buildPage()
  ])
  await mkdir(join(next, "web/assets"), { recursive: true })
  await Promise.all(server.outputFiles.map(async (file) => {
    await mkdir(dirname(file.path), { recursive: true })
    await writeFile(file.path, file.contents)
  }))
  await Promise.all(page.files.map((file) => writeFile(join(next, "web", file.path), file.contents)))
  await writeFile(join(next, Stamp), `${began.toISOString()}\n`)
  await utimes(join(next, Stamp), began, began)
  await rm(out, { recursive: true, force: true })
  await rename(next, out)
  return { directory: out, page: page.files }
}
