import { build } from "esbuild"
import { readdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/**
 * The service compiled once for the whole run, file by file as `tsc` would emit it, so the tests that start
 * it as a process run plain `node` (well under a second) instead of compiling TypeScript on every start.
 */
export const testBuild = fileURLToPath(new URL("../../.test-build", import.meta.url))

const sources = (directory: string): Array<string> =>
  readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : []
  })

export const setup = async () => {
  const src = fileURLToPath(new URL("../../src", import.meta.url))
  rmSync(testBuild, { recursive: true, force: true })
  await build({
    entryPoints: sources(src),
    outdir: testBuild,
    outbase: src,
    format: "esm",
    platform: "node",
    target: "node20.10",
    sourcemap: "inline",
    logLevel: "warning"
  })
}
