import { parse } from "csv-parse/sync"
import { stringify } from "csv-stringify/sync"
import { Effect, Either, ParseResult, Schema } from "effect"
import { Audit } from "./Audit.js"
import { ImportRejected, MaxImportRows } from "./Domain/Import.js"
import { toPage } from "./Domain/Page.js"
import { NewSuppression, type Suppression, SuppressionNotFound, SuppressionProtected } from "./Domain/Suppression.js"
import { normaliseSuppression } from "./Suppressions/Policy.js"
import { type SuppressionEntry, SuppressionsRepo } from "./Suppressions/Repo.js"

/** A validated entry (NewSuppression's filter ran the same normaliser, so it cannot fail here). */
const entryOf = (entry: NewSuppression): SuppressionEntry => ({
  platform: entry.platform,
  reason: entry.reason ?? null,
  ...Either.getOrThrow(normaliseSuppression(entry.platform, entry.handle))
})

/** The do-not-contact list, checked when drafts are made and again right before sending. */
export class Suppressions extends Effect.Service<Suppressions>()("Suppressions", {
  effect: Effect.gen(function*() {
    const repo = yield* SuppressionsRepo
    const audit = yield* Audit
    // The entry's platform only: its handle names a person, and the audit keeps no one's data.
    const recorded = (actor: string, via: "api" | "import") => (added: ReadonlyArray<Suppression>) =>
      added.map((s) => ({
        actor,
        action: "suppression.add" as const,
        subjectType: "suppression" as const,
        subjectId: s.id,
        profileId: null,
        detail: { platform: s.platform, via }
      }))

    const add = Effect.fn("Suppressions.add")(function*(entry: NewSuppression, actor: string) {
      const [added] = yield* audit.audited(repo.addMany([entryOf(entry)]), recorded(actor, "api"))
      return added!
    })

    const list = Effect.fn("Suppressions.list")(function*(params: { readonly cursor?: number | undefined; readonly limit?: number | undefined }) {
      const limit = params.limit ?? 50
      const rows = yield* repo.list(params.cursor, limit + 1)
      return toPage(rows, limit)
    })

    const remove = Effect.fn("Suppressions.remove")(function*(id: number, actor: string) {
      const outcome = yield* audit.audited(repo.remove(id), (outcome) =>
        outcome === "removed" ? [{ actor, action: "suppression.remove" as const, subjectType: "suppression" as const, subjectId: id, profileId: null }] : [])
      if (outcome === "missing") return yield* new SuppressionNotFound({ id, message: `No suppression with id ${id}` })
      if (outcome === "protected") {
        return yield* new SuppressionProtected({
          id,
          message: `Suppression ${id} was left by an erasure: without it the erased person could be stored again. It cannot be removed`
        })
      }
    })

    /** `platform,handle[,reason]` rows; each row accepted or rejected with its line and reason. */
    const importCsv = Effect.fn("Suppressions.importCsv")(function*(csv: string, actor: string) {
      const rows = yield* Effect.try({
        try: () => parse(csv, { columns: true, relax_column_count: true, skip_empty_lines: true, trim: true, bom: true, info: true }) as unknown as Array<
          { record: Record<string, string>; info: { lines: number } }
        >,
        catch: (error) => new ImportRejected({ message: `The CSV could not be read: ${(error as Error).message}` })
      })
      if (rows.length > MaxImportRows) {
        return yield* new ImportRejected({ message: `At most ${MaxImportRows} rows per import; this file has ${rows.length}` })
      }
      if (rows.length > 0 && !("platform" in rows[0]!.record && "handle" in rows[0]!.record)) {
        return yield* new ImportRejected({ message: "The CSV needs a header row with platform and handle" })
      }
      const valid: Array<SuppressionEntry> = []
      const rejected: Array<{ row: number; reason: string }> = []
      for (const { info, record } of rows) {
        Either.match(Schema.decodeUnknownEither(NewSuppression)({ ...record, reason: record["reason"] || undefined }), {
          onLeft: (error) =>
            rejected.push({
              row: info.lines,
              reason: ParseResult.ArrayFormatter.formatErrorSync(error).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")
            }),
          onRight: (entry) => valid.push(entryOf(entry))
        })
      }
      const added = yield* audit.audited(repo.addMany(valid), recorded(actor, "import"))
      return { accepted: added.length, rejected }
    })

    const exportCsv = Effect.fn("Suppressions.exportCsv")(function*() {
      const rows: Array<ReadonlyArray<string | null>> = []
      let after: number | undefined
      while (true) {
        const page = yield* repo.list(after, 1000)
        for (const s of page) rows.push([s.platform, s.handle, s.reason, s.createdAt])
        if (page.length < 1000) break
        after = page[page.length - 1]!.id
      }
      return stringify(rows, { header: true, columns: ["platform", "handle", "reason", "created_at"] })
    })

    return { add, list, remove, importCsv, exportCsv } as const
  }),
  dependencies: [SuppressionsRepo.Default, Audit.Default]
}) {}
