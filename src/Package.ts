import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import packageJson from "../package.json" with { type: "json" }

/** The nearest folder holding `package.json` above `start`: the same from `src/X/`, `dist/` or a bundle chunk. */
const rootAbove = (start: string): string => {
  const parent = dirname(start)
  if (existsSync(join(start, "package.json")) || parent === start) return start
  return rootAbove(parent)
}

/** The repository root, with a trailing slash. */
export const root = `${rootAbove(dirname(fileURLToPath(import.meta.url)))}/`

/** This package's manifest (built in, as `Api.ts` has it): its version and where it lives. */
export const manifest: {
  readonly version: string
  readonly homepage?: string
  readonly repository?: string | { readonly url?: string }
} = packageJson
