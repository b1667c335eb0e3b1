import { gzipSync } from "node:zlib"
import { build } from "../Build.js"

/**
 * `npm run build`: the service and the review desk into `dist/`, which `node dist/main.js` runs; `npm start`
 * builds into `.start/` the same way (`build.ts .start`).
 */
const directory = process.argv[2] ?? "dist"
const started = Date.now()
const built = await build(directory)
for (const file of built.page) {
  console.log(`${directory}/web/${file.path}  ${file.contents.length} bytes, ${gzipSync(file.contents, { level: 9 }).length} gzipped`)
}
console.log(`Built ${directory}/ in ${Date.now() - started} ms`)
