import { Effect, Option } from "effect"
import { Audit } from "./Audit.js"
import { type ErasureReport, type ProfileExport, SuppressionKeyMissing } from "./Domain/Erasure.js"
import type { Platform } from "./Domain/Platform.js"
import { type ProfileId, type ProfileInput, ProfileNotFound } from "./Domain/Profile.js"
import { type Keyed, SuppressionKey } from "./Erasure/Key.js"
import { identifiersOf } from "./Erasure/Policy.js"
import { ErasureRepo, type PersonRow } from "./Erasure/Repo.js"

const withRawForms = (person: Pick<PersonRow, "platform" | "handle" | "externalId">) =>
  [...new Set([...identifiersOf(person.platform, person.handle, person.externalId), person.handle.toLowerCase(), person.externalId.toLowerCase()])]

/**
 * Forgetting a person (GDPR Art. 17) and giving them their data (Art. 15). Erasure removes their personal
 * data from every table and keeps only what it takes never to contact them again: their identifiers as keyed
 * hashes on the suppression list, which ingestion checks so they are never stored again.
 */
export class Erasure extends Effect.Service<Erasure>()("Erasure", {
  effect: Effect.gen(function*() {
    const repo = yield* ErasureRepo
    const keys = yield* SuppressionKey
    const audit = yield* Audit

    // Entries hashed with another key match nobody: refuse to go on as if nobody had been erased.
    const requireOneKey = (key: Option.Option<Keyed>) =>
      Effect.flatMap(repo.foreignHashes(Option.getOrUndefined(Option.map(key, (k) => k.id))), (foreign) =>
        foreign
          ? new SuppressionKeyMissing({
            message: "The suppression list holds erased people hashed with another SUPPRESSION_KEY than the one configured " +
              "(or with one that is not set any more): restore that key, or they could be stored and contacted again"
          })
          : Effect.void)

    const erase = Effect.fn("Erasure.erase")(function*(id: ProfileId, actor: string) {
      // Checked before a key is made: a new key beside entries hashed with a lost one would hide the loss.
      yield* requireOneKey(yield* keys.current)
      const key = yield* keys.orCreate
      const report = yield* audit.audited(
        Effect.gen(function*() {
          yield* repo.lockForErasure
          const person = yield* repo.lock(id)
          if (person === undefined) return yield* ProfileNotFound.of(id)
          if (person.erasedAt !== null) {
            return { profileIds: [], drafts: 0, messages: 0, suppressionEntries: 0, alreadyErased: true } satisfies ErasureReport
          }
          // The same person may be held twice (imported by handle, found again by their DID): both go.
          const people = yield* repo.samePerson(person.platform, withRawForms(person))
          const identifiers = [...new Set(people.flatMap(withRawForms))]
          const hashes = [...new Set(people.flatMap((p) => identifiersOf(p.platform, p.handle, p.externalId)).map((form) => key.hash(person.platform, form)))]
          yield* repo.suppressHashed(person.platform, hashes, identifiers)
          const ids = people.map((p) => p.id)
          const blanked = yield* repo.tombstone(ids)
          return { profileIds: ids, ...blanked, suppressionEntries: hashes.length, alreadyErased: false } satisfies ErasureReport
        }),
        (report) =>
          report.profileIds.map((profileId) => ({
            actor,
            action: "profile.erase" as const,
            subjectType: "profile" as const,
            subjectId: profileId,
            profileId,
            detail: { drafts: report.drafts, messages: report.messages, suppressionEntries: report.suppressionEntries }
          }))
      )
      yield* Effect.logInfo(
        report.alreadyErased
          ? `Profile ${id} was already erased`
          : `Erased profile(s) ${report.profileIds.join(", ")}: ${report.drafts} draft(s) and ${report.messages} message(s) blanked, ` +
            `${report.suppressionEntries} hashed suppression entr${report.suppressionEntries === 1 ? "y" : "ies"} kept`
      )
      return report
    })

    /** One person's data as held, raw payload included; the export itself is recorded in the audit. */
    const exportOf = Effect.fn("Erasure.export")(function*(id: ProfileId, actor: string) {
      return yield* audit.audited(
        Effect.gen(function*() {
          const profile = yield* repo.profileWithRaw(id)
          if (profile === undefined) return yield* ProfileNotFound.of(id)
          const identifiers = profile.erasedAt === null ? withRawForms(profile) : []
          const held = yield* repo.heldAbout({ ...profile, erasedAt: profile.erasedAt }, identifiers)
          return { exportedAt: new Date().toISOString(), profile, ...held } satisfies ProfileExport
        }),
        () => [{ actor, action: "profile.export" as const, subjectType: "profile" as const, subjectId: id, profileId: id }]
      )
    })

    /**
     * The positions of the profiles in `profiles` that belong to erased people: they are never stored again
     * (an import reports them, discovery skips them). Call it in the transaction that writes the others: until
     * that ends, no erasure can commit in between.
     */
    const erasedAmong = Effect.fn("Erasure.erasedAmong")(function*(profiles: ReadonlyArray<Pick<ProfileInput, "platform" | "handle" | "externalId">>) {
      if (profiles.length === 0) return new Set<number>()
      yield* repo.lockForIngestion
      const key = yield* keys.current
      yield* requireOneKey(key)
      if (Option.isNone(key)) return new Set<number>()
      const hashed = profiles.map((p) => identifiersOf(p.platform, p.handle, p.externalId).map((form) => key.value.hash(p.platform, form)))
      const entries = profiles.flatMap((p, i) => hashed[i]!.map((hash) => ({ platform: p.platform as Platform, hash })))
      const listed = yield* repo.hashedEntries(entries)
      return new Set(profiles.flatMap((p, i) => (hashed[i]!.some((hash) => listed.has(`${p.platform}\n${hash}`)) ? [i] : [])))
    })

    return { erase, export: exportOf, erasedAmong } as const
  }),
  dependencies: [ErasureRepo.Default, SuppressionKey.Default, Audit.Default]
}) {}
