import { Effect, Either, Option } from "effect"
import { Audit } from "./Audit.js"
import { AppConfig } from "./Config.js"
import { toPage } from "./Domain/Page.js"
import {
  type Channel,
  type Draft,
  DraftConflict,
  type DraftId,
  DraftInvalid,
  DraftNotFound,
  type DraftStatus,
  MaxDraftsPerRequest,
  type SkipReason,
  TemplateInvalid
} from "./Domain/Draft.js"
import type { Platform } from "./Domain/Platform.js"
import type { ProfileId, ProfileStatus } from "./Domain/Profile.js"
import { type Candidate, DraftsRepo } from "./Drafts/Repo.js"
import { checkLength, checkTemplate, describeProblem, renderParts } from "./Drafts/Template.js"
import { type ChannelSetup, channelSetup, notConfiguredMessage } from "./Messages/Policy.js"

export interface Skipped {
  readonly profileId: number
  readonly reason: SkipReason
  readonly detail: string
}

export interface CreateDrafts {
  readonly template: string
  readonly channel: Channel
  readonly profileIds?: ReadonlyArray<ProfileId> | undefined
  readonly filter?: {
    readonly platform?: Platform | undefined
    readonly status?: ProfileStatus | undefined
    readonly q?: string | undefined
    readonly all?: true | undefined
  } | undefined
  readonly fields?: Readonly<Record<string, string>> | undefined
}

const channelPlatform: Record<Channel, Platform | undefined> = {
  bluesky_dm: "bluesky",
  mastodon_dm: "mastodon",
  webhook: undefined
}

/** Why this profile gets no draft on this channel, if it gets none. */
const refusal = (candidate: Candidate, channel: Channel, setup: ChannelSetup): Omit<Skipped, "profileId"> | undefined => {
  if (candidate.suppressed || candidate.status === "opted_out") {
    return { reason: "opted_out", detail: "the person opted out or is on the suppression list" }
  }
  if (candidate.contacted || candidate.status === "contacted" || candidate.status === "replied") {
    return { reason: "already_contacted", detail: "the person was already contacted or replied" }
  }
  if (candidate.status === "archived") return { reason: "archived", detail: "the profile is archived" }
  const platform = channelPlatform[channel]
  if (platform !== undefined && candidate.platform !== platform) {
    return { reason: "channel_unavailable", detail: `${channel} reaches ${platform} profiles only, this is a ${candidate.platform} profile` }
  }
  if (channel === "bluesky_dm" && !candidate.externalId.startsWith("did:")) {
    return { reason: "channel_unavailable", detail: "a Bluesky DM needs the account's DID; this profile was imported without one" }
  }
  if (channel === "bluesky_dm" && candidate.acceptsDms === false) {
    return { reason: "channel_unavailable", detail: "the account accepts no direct messages (chat.allowIncoming: none)" }
  }
  if (!setup.configured) return { reason: "channel_not_configured", detail: notConfiguredMessage(setup) }
  if (candidate.openDraftId !== null) {
    return { reason: "draft_exists", detail: `draft ${candidate.openDraftId} for this profile and channel is still open` }
  }
  return undefined
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`)

/** "Draft 9 is already approved", "A rejected draft cannot be approved": why a transition does not apply. */
export const conflictMessage = (id: DraftId, status: DraftStatus, what: string) =>
  status === what ? `Draft ${id} is already ${status}` : `${article(status).replace(/^a/, "A")} draft cannot be ${what}`

export class Drafts extends Effect.Service<Drafts>()("Drafts", {
  effect: Effect.gen(function*() {
    const repo = yield* DraftsRepo
    const audit = yield* Audit
    const setup = channelSetup(yield* AppConfig)
    const recorded = (actor: string, action: "draft.create" | "draft.edit" | "draft.approve" | "draft.reject" | "draft.delete") =>
      (draft: Draft) => [{ actor, action, subjectType: "draft" as const, subjectId: draft.id, profileId: draft.profileId, detail: { status: draft.status } }]

    /**
     * Drafts for one profile or many; the report says, per profile skipped, why. A template that cannot be
     * used for anyone is refused first, before any draft is made.
     */
    const create = Effect.fn("Drafts.create")(function*(request: CreateDrafts, actor: string) {
      const parts = yield* Either.match(checkTemplate(request.template, Object.keys(request.fields ?? {})), {
        onLeft: (error) => Effect.fail(new TemplateInvalid({ message: error.message, position: error.position, knownVariables: error.known })),
        onRight: Effect.succeed
      })
      const candidates = yield* repo.candidates({
        channel: request.channel,
        profileIds: request.profileIds,
        platform: request.filter?.platform,
        status: request.filter?.status,
        search: request.filter?.q?.trim() || undefined,
        eligibleOnly: request.filter !== undefined,
        limit: MaxDraftsPerRequest
      })
      const skipped: Array<Skipped> = []
      const found = new Set<number>(candidates.map((c) => c.id))
      for (const id of request.profileIds ?? []) {
        if (!found.has(id)) skipped.push({ profileId: id, reason: "not_found", detail: `no profile with id ${id}` })
      }
      const drafts: Array<{ profileId: ProfileId; channel: Channel; template: string; body: string }> = []
      for (const candidate of candidates) {
        const refused = refusal(candidate, request.channel, setup[request.channel])
        if (refused !== undefined) {
          skipped.push({ profileId: candidate.id, ...refused })
          continue
        }
        const rendered = renderParts(parts, candidate, request.fields).pipe(
          Either.mapLeft((problem) => ({
            reason: problem._tag === "MissingValue" ? "missing_variable" as const : "unknown_variable" as const,
            detail: describeProblem(problem)
          })),
          Either.flatMap((body) =>
            checkLength(request.channel, body, candidate.handle).pipe(
              Either.mapLeft((detail) => ({ reason: "too_long" as const, detail }))
            )
          )
        )
        if (Either.isLeft(rendered)) skipped.push({ profileId: candidate.id, ...rendered.left })
        else drafts.push({ profileId: candidate.id, channel: request.channel, template: request.template, body: rendered.right })
      }
      const created = yield* audit.audited(repo.insertMany(drafts), (rows) => rows.flatMap(recorded(actor, "draft.create")))
      yield* Effect.logInfo(`Drafts: ${created.length} created, ${skipped.length} skipped`)
      return { created, skipped }
    })

    const get = Effect.fn("Drafts.get")(function*(id: DraftId) {
      return yield* Effect.flatMap(repo.findById(id), Option.match({
        onNone: () => Effect.fail(DraftNotFound.of(id)),
        onSome: Effect.succeed
      }))
    })

    const list = Effect.fn("Drafts.list")(function*(params: {
      readonly status?: DraftStatus | undefined
      readonly profileId?: ProfileId | undefined
      readonly cursor?: number | undefined
      readonly limit?: number | undefined
    }) {
      const limit = params.limit ?? 50
      const rows = yield* repo.list({ status: params.status, profileId: params.profileId, after: params.cursor, limit: limit + 1 })
      return toPage(rows, limit)
    })

    /** Applies a transition, or says why the draft's current state does not allow it. */
    const move = (id: DraftId, from: ReadonlyArray<DraftStatus>, what: string, set: Parameters<typeof repo.transition>[2]) =>
      Effect.gen(function*() {
        const changed = yield* repo.transition(id, from, set)
        if (changed !== undefined) return changed
        const current = yield* get(id)
        return yield* new DraftConflict({ id, status: current.status, message: conflictMessage(id, current.status, what) })
      })

    /** A new body goes back to `draft`: an approval covers the text that was approved, not another. */
    const edit = Effect.fn("Drafts.edit")(function*(id: DraftId, body: string, actor: string) {
      const draft = yield* get(id)
      const profile = yield* repo.candidates({ channel: draft.channel, profileIds: [draft.profileId], limit: 1 })
      yield* checkLength(draft.channel, body, profile[0]?.handle ?? "").pipe(
        Either.mapLeft((message) => new DraftInvalid({ message: `Draft ${id}: ${message}` }))
      )
      return yield* audit.audited(move(id, ["draft", "approved"], "edited", { body, status: "draft" }), recorded(actor, "draft.edit"))
    })

    /** The approver is whoever holds the token the request came with; a client cannot name someone else. */
    const approve = Effect.fn("Drafts.approve")(function*(id: DraftId, actor: string) {
      const draft = yield* get(id)
      const [candidate] = yield* repo.candidates({ channel: draft.channel, profileIds: [draft.profileId], limit: 1 })
      if (candidate !== undefined && (candidate.suppressed || candidate.status === "opted_out")) {
        return yield* new DraftConflict({ id, status: draft.status, message: "The person opted out: this draft cannot be approved" })
      }
      return yield* audit.audited(move(id, ["draft"], "approved", { status: "approved", approvedBy: actor }), recorded(actor, "draft.approve"))
    })

    const reject = Effect.fn("Drafts.reject")(function*(id: DraftId, reason: string | undefined, actor: string) {
      return yield* audit.audited(
        move(id, ["draft", "approved"], "rejected", { status: "rejected", rejectedReason: reason ?? null }),
        recorded(actor, "draft.reject")
      )
    })

    const remove = Effect.fn("Drafts.remove")(function*(id: DraftId, actor: string) {
      const draft = yield* get(id)
      const removed = yield* audit.audited(repo.remove(id), (removed) => (removed ? recorded(actor, "draft.delete")(draft) : []))
      if (!removed) return yield* new DraftConflict({ id, status: draft.status, message: "A sent draft cannot be deleted" })
    })

    return { create, get, list, edit, approve, reject, remove } as const
  }),
  dependencies: [DraftsRepo.Default, Audit.Default]
}) {}
