import { mkdir, rm, writeFile } from "node:fs/promises"
import { gzipSync } from "node:zlib"
import { buildPage, root } from "../Web/Build.js"

/** `npm run build`'s second half: the review desk into dist/web, which the compiled service serves. */
const target = `${root}dist/web/`
const page = await buildPage()
await rm(target, { recursive: true, force: true })
await mkdir(`${target}assets`, { recursive: true })
await Promise.all(page.files.map((file) => writeFile(target + file.path, file.contents)))
for (const file of page.files) {
  console.log(`dist/web/${file.path}  ${file.contents.length} bytes, ${gzipSync(file.contents, { level: 9 }).length} gzipped`)
}
