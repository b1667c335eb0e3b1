import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The nearest folder holding `package.json` above `start`: the same from `src/X/`, `dist/` or a bundle chunk. */
const rootAbove = (start: string): string => {
  const parent = dirname(start)
  if (existsSync(join(start, "package.json")) || parent === start) return start
  return rootAbove(parent)
}

/** The repository root, with a trailing slash. */
export const root = `${rootAbove(dirname(fileURLToPath(import.meta.url)))}/`

/** This package's manifest: its version and where it lives, for how we introduce ourselves. */
export const manifest = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as {
  readonly version: string
  readonly homepage?: string
  readonly repository?: string | { readonly url?: string }
}
