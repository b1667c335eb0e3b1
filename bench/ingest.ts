import { Effect, Layer } from "effect"
import { AppConfig } from "../src/Config.js"
import type { ProfileInput } from "../src/Domain/Profile.js"
import { ProfilesRepo } from "../src/Profiles/Repo.js"
import { SqlLive } from "../src/Sql.js"

export interface IngestFigures {
  readonly profiles: number
  readonly batchSize: number
  readonly insertMs: number
  readonly insertPerSecond: number
  readonly updateMs: number
  readonly updatePerSecond: number
}

const profile = (n: number): ProfileInput => ({
  platform: "bluesky",
  externalId: `did:plc:ingest${String(n).padStart(8, "0")}`,
  handle: `ingest${n}.bsky.social`,
  displayName: `Ingested Person ${n}`,
  bio: `Writes about distributed systems, TypeScript and effect systems. Profile number ${n}.`,
  location: null,
  url: `https://bsky.app/profile/ingest${n}.bsky.social`,
  avatarUrl: `https://cdn.bsky.app/img/avatar/plain/${n}@jpeg`,
  followersCount: n % 5000,
  acceptsDms: n % 3 === 0,
  raw: { did: `did:plc:ingest${n}`, handle: `ingest${n}.bsky.social`, indexedAt: "2026-11-01T00:00:00.000Z" }
})

/** Upserts `count` profiles in pages of `batchSize`, as discovery does, first all new, then all known. */
export const measureIngest = (databaseUrl: string, count: number, batchSize: number) =>
  Effect.gen(function*() {
    const repo = yield* ProfilesRepo
    const batches = Array.from({ length: Math.ceil(count / batchSize) }, (_, b) =>
      Array.from({ length: Math.min(batchSize, count - b * batchSize) }, (_, i) => profile(b * batchSize + i)))
    const pass = Effect.forEach(batches, (batch) => repo.upsertMany(batch, { source: "discovery", jobId: null }), { concurrency: 1 })
    const started = performance.now()
    const inserted = yield* pass
    const insertMs = performance.now() - started
    const again = performance.now()
    const updated = yield* pass
    const updateMs = performance.now() - again
    if (inserted.reduce((n, r) => n + r.inserted, 0) !== count || updated.reduce((n, r) => n + r.updated, 0) !== count) {
      return yield* Effect.die("ingest counts do not add up")
    }
    return {
      profiles: count,
      batchSize,
      insertMs,
      insertPerSecond: (count / insertMs) * 1000,
      updateMs,
      updatePerSecond: (count / updateMs) * 1000
    } satisfies IngestFigures
  }).pipe(
    Effect.provide(ProfilesRepo.Default.pipe(
      Layer.provide(SqlLive),
      Layer.provide(AppConfig.fromMap({ DATABASE_URL: databaseUrl, LOG_LEVEL: "none" }))
    )),
    Effect.runPromise
  )
