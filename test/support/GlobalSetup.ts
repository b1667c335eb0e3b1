import { relative } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "../../src/Build.js"
import { root } from "../../src/Package.js"

/**
 * The service built once for the whole run, as `npm run build` builds it (bundled, with the review desk), so
 * the tests that start it as a process run what is deployed, and each start takes well under a second.
 */
export const testBuild = fileURLToPath(new URL("../../.test-build", import.meta.url))

export const setup = async () => {
  await build(relative(root, testBuild))
}
