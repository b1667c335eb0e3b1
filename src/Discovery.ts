import { Effect, Option } from "effect"
import { Audit } from "./Audit.js"
import { AppConfig } from "./Config.js"
import {
  type DiscoverRequest,
  DiscoveryJobFinished,
  type DiscoveryJobId,
  DiscoveryJobNotFound,
  type DiscoveryJobStatus
} from "./Domain/DiscoveryJob.js"
import { toPage } from "./Domain/Page.js"
import type { Platform } from "./Domain/Platform.js"
import { Unprocessable } from "./Domain/Server.js"
import { DiscoveryRepo } from "./Discovery/Repo.js"
import { Outbound } from "./Outbound.js"

export class Discovery extends Effect.Service<Discovery>()("Discovery", {
  effect: Effect.gen(function*() {
    const repo = yield* DiscoveryRepo
    const { discovery } = yield* AppConfig
    const outbound = yield* Outbound
    const audit = yield* Audit
    const recorded = (actor: string, action: "discovery.start" | "discovery.cancel", id: DiscoveryJobId, platform: Platform) =>
      [{ actor, action, subjectType: "discovery_job" as const, subjectId: id, profileId: null, detail: { platform } }]

    /** Records a queued job for the platform with its validated filters. */
    const start = Effect.fn("Discovery.start")(function*(request: DiscoverRequest, actor: string) {
      if (request.platform === "linkedin") {
        return yield* new Unprocessable({
          message: "LinkedIn offers no public people search, so it cannot be discovered. " +
            "Import your LinkedIn data export (Connections.csv) instead."
        })
      }
      if (request.platform === "mastodon") {
        // The worker will connect to this host: an address it must not reach is refused now, not at the job.
        const instance = (request.filters.instance ?? discovery.mastodonDefaultInstance).toLowerCase()
        if (!discovery.mastodonInstanceUrls.has(instance)) yield* outbound.check(instance)
      }
      const job = yield* audit.audited(
        repo.insert({ platform: request.platform, filters: request.filters, maxAttempts: discovery.maxAttempts }),
        (job) => recorded(actor, "discovery.start", job.id, job.platform)
      )
      yield* Effect.logInfo(`Discovery job ${job.id} queued for ${job.platform}`)
      return job
    })

    const get = Effect.fn("Discovery.get")(function*(id: DiscoveryJobId) {
      const found = yield* repo.findById(id)
      return yield* Option.match(found, {
        onNone: () => Effect.fail(DiscoveryJobNotFound.of(id)),
        onSome: Effect.succeed
      })
    })

    /** Jobs newest first, by status and platform, in keyset pages. */
    const list = Effect.fn("Discovery.list")(function*(params: {
      readonly status?: DiscoveryJobStatus | undefined
      readonly platform?: Platform | undefined
      readonly cursor?: number | undefined
      readonly limit?: number | undefined
    }) {
      const limit = params.limit ?? 50
      const rows = yield* repo.list({ status: params.status, platform: params.platform, after: params.cursor, limit: limit + 1 })
      return toPage(rows, limit)
    })

    const cancel = Effect.fn("Discovery.cancel")(function*(id: DiscoveryJobId, actor: string) {
      const cancelled = yield* audit.audited(
        Effect.flatMap(repo.cancel(id), (cancelled) => (cancelled ? Effect.map(get(id), (job) => job.platform) : Effect.succeed(undefined))),
        (platform) => (platform === undefined ? [] : recorded(actor, "discovery.cancel", id, platform))
      )
      if (cancelled === undefined) {
        const job = yield* get(id)
        return yield* new DiscoveryJobFinished({ id, status: job.status, message: `Job ${id} is already ${job.status}` })
      }
      yield* Effect.logInfo(`Discovery job ${id} cancelled`)
      return yield* get(id)
    })

    return { start, get, list, cancel } as const
  }),
  dependencies: [DiscoveryRepo.Default, Outbound.Default, Audit.Default]
}) {}
