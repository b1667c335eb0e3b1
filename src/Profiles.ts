import { Effect, Option } from "effect"
import { Audit } from "./Audit.js"
import { Erasure } from "./Erasure.js"
import { toPage } from "./Domain/Page.js"
import type { Platform } from "./Domain/Platform.js"
import { entryForProfile } from "./Suppressions/Policy.js"
import { type ProfileId, ProfileNotFound, type ProfileStatus } from "./Domain/Profile.js"
import { ImportRejected, type ImportRequest, MaxImportRows } from "./Domain/Import.js"
import { parseImport } from "./Profiles/Import.js"
import { ProfilesRepo } from "./Profiles/Repo.js"

export interface ListProfiles {
  readonly platform?: Platform | undefined
  readonly status?: ProfileStatus | undefined
  readonly q?: string | undefined
  readonly cursor?: number | undefined
  readonly limit?: number | undefined
}

export const DefaultPageSize = 50

export class Profiles extends Effect.Service<Profiles>()("Profiles", {
  effect: Effect.gen(function*() {
    const repo = yield* ProfilesRepo
    const audit = yield* Audit
    const erasure = yield* Erasure
    const recorded = (actor: string, action: "profile.opt_out" | "profile.replied" | "profile.archive", id: ProfileId) =>
      (changed: boolean) => (changed ? [{ actor, action, subjectType: "profile" as const, subjectId: id, profileId: id }] : [])

    const get = Effect.fn("Profiles.get")(function*(id: ProfileId) {
      const found = yield* repo.findById(id)
      return yield* Option.match(found, {
        onNone: () => Effect.fail(ProfileNotFound.of(id)),
        onSome: Effect.succeed
      })
    })

    /** One page, newest first; `nextCursor` is set only when more rows follow. */
    const list = Effect.fn("Profiles.list")(function*(params: ListProfiles) {
      const limit = params.limit ?? DefaultPageSize
      const search = params.q?.trim()
      const rows = yield* repo.list({
        platform: params.platform,
        status: params.status,
        search: search !== undefined && search.length > 0 ? search : undefined,
        after: params.cursor as ProfileId | undefined,
        limit: limit + 1
      })
      return toPage(rows, limit)
    })

    /** Stores every valid row in one statement, so the import is all written or not at all. */
    const importProfiles = Effect.fn("Profiles.import")(function*(request: ImportRequest, actor: string) {
      const parsed = yield* parseImport(request)
      if (parsed.profiles.length > MaxImportRows) {
        return yield* new ImportRejected({ message: `At most ${MaxImportRows} rows per import` })
      }
      // People erased on request are never stored again: their rows are reported, not written.
      const screenedWrite = Effect.gen(function*() {
        const erased = yield* erasure.erasedAmong(parsed.profiles)
        const written = yield* repo.upsertMany(parsed.profiles.filter((_, i) => !erased.has(i)), { source: "import", jobId: null })
        return { ...written, erased }
      })
      const written = yield* audit.audited(screenedWrite, ({ rows }) =>
        rows.map((row) => ({
          actor,
          action: "profile.import" as const,
          subjectType: "profile" as const,
          subjectId: row.id,
          profileId: row.id,
          detail: { format: request.format, new: row.inserted }
        })))
      const suppressed = [...written.erased].map((i) => ({
        row: parsed.rows[i]!,
        reason: "suppressed: this person was erased at their request and is never stored or contacted again"
      }))
      yield* Effect.logInfo(
        `Import (${request.format}): ${written.inserted} new, ${written.updated} updated, ${parsed.rejected.length} rejected, ` +
          `${suppressed.length} erased on request`
      )
      const rejected = [...parsed.rejected, ...suppressed].sort((a, b) => a.row - b.row)
      return { accepted: written.inserted, updated: written.updated, rejected }
    })

    const optOut = Effect.fn("Profiles.optOut")(function*(id: ProfileId, reason: string | undefined, actor: string) {
      if (!(yield* audit.audited(repo.optOut(id, reason ?? null, entryForProfile), recorded(actor, "profile.opt_out", id)))) return yield* ProfileNotFound.of(id)
      yield* Effect.logInfo(`Profile ${id} opted out`)
      return yield* get(id)
    })

    /** For channels that cannot see replies themselves (webhook): the team's tool reports them. */
    const replied = Effect.fn("Profiles.replied")(function*(id: ProfileId, actor: string) {
      if (!(yield* audit.audited(repo.markReplied(id), recorded(actor, "profile.replied", id)))) return yield* ProfileNotFound.of(id)
      return yield* get(id)
    })

    const archive = Effect.fn("Profiles.archive")(function*(id: ProfileId, actor: string) {
      if (!(yield* audit.audited(repo.archive(id), recorded(actor, "profile.archive", id)))) return yield* ProfileNotFound.of(id)
      yield* Effect.logInfo(`Profile ${id} archived`)
      return yield* get(id)
    })

    return { get, list, import: importProfiles, optOut, replied, archive } as const
  }),
  dependencies: [ProfilesRepo.Default, Audit.Default, Erasure.Default]
}) {}
