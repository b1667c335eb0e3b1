import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { appLayer } from "./support/App.js"
import { httpSuite } from "./support/HttpSuite.js"

const embedded = Layer.unwrapScoped(
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "so-pglite-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  ).pipe(Effect.map((dir) => appLayer({ PGLITE_DATA_DIR: dir })))
)

httpSuite("HTTP API on embedded PGlite", embedded)
