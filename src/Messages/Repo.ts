import { SqlClient, type SqlError, type Statement } from "@effect/sql"
import { Duration, Effect, Option, Schema } from "effect"
import type { DatabaseUnavailable, TablesMissing } from "../Domain/Database.js"
import { Channel, type DraftId } from "../Domain/Draft.js"
import { type MessageId, MessageRow, type MessageStatus } from "../Domain/Message.js"
import { Platform } from "../Domain/Platform.js"
import type { ProfileId } from "../Domain/Profile.js"
import { makeQueue } from "../Jobs/Queue.js"
import { mapSqlError, suppressedSql } from "../Sql.js"
import type { ChannelUsage, Refusal } from "./Policy.js"

const columns = `m.id, m.draft_id, m.profile_id, m.channel, m.recipient, m.body, m.status, m.attempts,
  m.provider_message_id, m.error_code, m.error_detail, m.next_attempt_at, m.queued_at, m.sent_at`

/** A message as claimed, with what it needs to deliver it. */
const ClaimedMessage = Schema.Struct({
  ...MessageRow.fields,
  deliveryKey: Schema.String,
  sendingStartedAt: Schema.NullOr(Schema.String),
  conversationId: Schema.NullOr(Schema.String),
  platform: Platform,
  handle: Schema.String,
  externalId: Schema.String,
  displayName: Schema.NullOr(Schema.String),
  profileUrl: Schema.NullOr(Schema.String),
  blocked: Schema.NullOr(Schema.String)
})
export type ClaimedMessage = typeof ClaimedMessage.Type

/** A message a sender holds the lease on: its claim's owner token names every write about it. */
export type LeasedMessage = ClaimedMessage & { readonly owner: string }

/** What decides whether a draft may be queued, read under the draft's and the profile's row locks. */
export interface DraftToSend {
  readonly status: string
  readonly channel: Channel
  readonly blocked: string | null
  /** A message that went, or is going, to this person from another draft. */
  readonly otherMessageId: number | null
}

export type QueueOutcome =
  /** `fresh` when this call queued it (not a repeat returning the same message). */
  | { readonly _tag: "Queued"; readonly message: MessageRow; readonly fresh?: true }
  | { readonly _tag: "DraftNotFound" }
  | { readonly _tag: "KeyReused"; readonly boundTo: DraftId }
  | { readonly _tag: "Refused"; readonly refusal: Refusal }

export type RetryOutcome =
  | { readonly _tag: "Queued"; readonly message: MessageRow; readonly fresh?: true }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "Refused"; readonly status: MessageStatus; readonly refusal: Refusal }

export interface ChannelLimits {
  readonly channel: Channel
  readonly dailyCap: number
  /** The gap before the channel's next send: minimum spacing plus this send's jitter. */
  readonly spacing: Duration.Duration
  readonly maxAttempts: number
}

// Distinct advisory lock keys per channel, apart from the migration lock.
const channelLockKey: Record<Channel, number> = { bluesky_dm: 7_263_320_001, mastodon_dm: 7_263_320_002, webhook: 7_263_320_003 }

export class MessagesRepo extends Effect.Service<MessagesRepo>()("Messages/Repo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const decodeMessages = Schema.decodeUnknown(Schema.Array(MessageRow))
    // Why the person of profile `p` must not get a message now, or NULL: one definition for every check.
    const blockedReason = sql.literal(`CASE WHEN p.opted_out_at IS NOT NULL OR ${suppressedSql} THEN 'opted_out'
      WHEN p.replied_at IS NOT NULL OR p.status = 'replied' THEN 'replied' END`)
    const db = <A, E, R>(
      effect: Effect.Effect<A, E, R>
    ): Effect.Effect<A, Exclude<E, SqlError.SqlError> | TablesMissing | DatabaseUnavailable, R> =>
      Effect.catchIf(effect, (e) => (e as { _tag?: unknown })._tag === "SqlError", (e) => mapSqlError(e as SqlError.SqlError)) as never

    const byId = (id: number) =>
      sql`SELECT ${sql.literal(columns)} FROM social_messages m WHERE m.id = ${id}`.pipe(
        Effect.flatMap(decodeMessages),
        Effect.map((rows) => rows[0]!),
        Effect.catchTag("ParseError", Effect.die)
      )

    /**
     * Queues the draft's message, once, unless `refuse` says why not. The draft row is locked, so concurrent
     * requests take turns: the first queues, the others get that same message back. An idempotency key is
     * bound to the first draft it is used with, for good, whatever that request's outcome: the same key always
     * names the same draft. Refusals are returned, not failed, so the binding is kept.
     */
    const queue = Effect.fn("Messages/Repo.queue")(function*(
      draftId: DraftId,
      idempotencyKey: string | undefined,
      refuse: (draft: DraftToSend) => Refusal | undefined
    ) {
      return yield* db(sql.withTransaction(Effect.gen(function*(): Effect.fn.Return<QueueOutcome, SqlError.SqlError> {
        // Two drafts sent with one key at the same moment must not both pass the lookup below.
        if (idempotencyKey !== undefined) yield* sql`SELECT pg_advisory_xact_lock(hashtext(${idempotencyKey}))`
        const [draft] = yield* sql<{
          status: string
          profileId: number
          channel: Channel
          body: string
          platform: Platform
          handle: string
          externalId: string
          blocked: string | null
        }>`SELECT d.status, d.profile_id, d.channel, d.body, p.platform, p.handle, p.external_id, ${blockedReason} AS blocked
          FROM social_drafts d JOIN social_profiles p ON p.id = d.profile_id
          WHERE d.id = ${draftId} FOR UPDATE OF d, p`
        if (draft === undefined) return { _tag: "DraftNotFound" }
        if (idempotencyKey !== undefined) {
          // Keys used before bindings existed are still found on their message.
          const [bound] = yield* sql<{ draftId: DraftId }>`
            SELECT draft_id FROM social_idempotency_keys WHERE key = ${idempotencyKey}
            UNION ALL SELECT draft_id FROM social_messages WHERE idempotency_key = ${idempotencyKey} LIMIT 1`
          if (bound !== undefined && bound.draftId !== draftId) return { _tag: "KeyReused", boundTo: bound.draftId }
          if (bound === undefined) {
            yield* sql`INSERT INTO social_idempotency_keys (key, draft_id) VALUES (${idempotencyKey}, ${draftId})`
          }
        }
        const [existing] = yield* sql<{ id: number }>`SELECT id FROM social_messages WHERE draft_id = ${draftId}`
        if (existing !== undefined) return { _tag: "Queued", message: yield* byId(existing.id) }
        const [other] = yield* sql<{ id: number }>`SELECT id FROM social_messages
          WHERE profile_id = ${draft.profileId} AND status <> 'failed' LIMIT 1`
        const refusal = refuse({ status: draft.status, channel: draft.channel, blocked: draft.blocked, otherMessageId: other?.id ?? null })
        if (refusal !== undefined) return { _tag: "Refused", refusal }
        const recipient = draft.platform === "bluesky" ? draft.externalId : draft.handle
        // The key is also kept on the message, where the previous version looks for it.
        const keyFree = idempotencyKey === undefined
          ? false
          : (yield* sql`SELECT 1 FROM social_messages WHERE idempotency_key = ${idempotencyKey}`).length === 0
        const [inserted] = yield* sql<{ id: number }>`
          INSERT INTO social_messages (draft_id, profile_id, channel, body, recipient, idempotency_key)
          VALUES (${draftId}, ${draft.profileId}, ${draft.channel}, ${draft.body}, ${recipient}, ${keyFree ? idempotencyKey! : null})
          RETURNING id`
        yield* sql`UPDATE social_drafts SET status = 'sent', updated_at = now() WHERE id = ${draftId}`
        return { _tag: "Queued", message: yield* byId(inserted!.id), fresh: true }
      })))
    })

    /**
     * Takes a message back while it is still queued: it is removed and its draft is approved again, to be
     * sent, edited or rejected. Returns the draft's id, or the status that does not allow it.
     */
    const cancel = Effect.fn("Messages/Repo.cancel")(function*(
      id: MessageId,
      refuse: (message: { readonly status: MessageStatus; readonly sendingStartedAt: string | null; readonly errorCode: string | null }) =>
        string | undefined
    ) {
      return yield* db(sql.withTransaction(Effect.gen(function*() {
        const [row] = yield* sql<{ status: MessageStatus; draftId: DraftId; sendingStartedAt: string | null; errorCode: string | null }>`
          SELECT status, draft_id, sending_started_at, error_code FROM social_messages WHERE id = ${id} FOR UPDATE`
        if (row === undefined) return { _tag: "NotFound" } as const
        const refusal = refuse(row)
        if (refusal !== undefined) return { _tag: "Refused", status: row.status, message: refusal } as const
        yield* sql`DELETE FROM social_messages WHERE id = ${id}`
        yield* sql`UPDATE social_drafts SET status = 'approved', updated_at = now() WHERE id = ${row.draftId} AND status = 'sent'`
        return { _tag: "Cancelled", draftId: row.draftId } as const
      })))
    })

    /**
     * Queues a failed message again, with its delivery key, so a provider that deduplicates still recognises
     * an earlier attempt that did get through. A message already queued or being sent is returned as it is.
     */
    const retry = Effect.fn("Messages/Repo.retry")(function*(
      id: MessageId,
      refuse: (message: MessageRow, facts: { readonly blocked: string | null; readonly otherMessageId: number | null }) => Refusal | undefined,
      attemptsKept: (message: { readonly sendingStartedAt: string | null; readonly errorCode: string | null }) => number
    ) {
      return yield* db(sql.withTransaction(Effect.gen(function*(): Effect.fn.Return<RetryOutcome, SqlError.SqlError> {
        const [row] = yield* sql<{ profileId: number; blocked: string | null; sendingStartedAt: string | null; errorCode: string | null }>`
          SELECT m.profile_id, ${blockedReason} AS blocked, m.sending_started_at, m.error_code
          FROM social_messages m JOIN social_profiles p ON p.id = m.profile_id
          WHERE m.id = ${id} FOR UPDATE OF m, p`
        if (row === undefined) return { _tag: "NotFound" }
        const message = yield* byId(id)
        if (message.status === "queued" || message.status === "sending") return { _tag: "Queued", message }
        const [other] = yield* sql<{ id: number }>`SELECT id FROM social_messages
          WHERE profile_id = ${row.profileId} AND id <> ${id} AND status <> 'failed' LIMIT 1`
        const refusal = refuse(message, { blocked: row.blocked, otherMessageId: other?.id ?? null })
        if (refusal !== undefined) return { _tag: "Refused", status: message.status, refusal }
        yield* sql`UPDATE social_messages SET status = 'queued', attempts = ${attemptsKept(row)}, next_attempt_at = NULL, error_code = NULL,
            error_detail = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
          WHERE id = ${id}`
        return { _tag: "Queued", message: yield* byId(id), fresh: true }
      })))
    })

    /** Each channel's use of its daily cap and spacing, counted as the claim counts it. */
    const usage = Effect.fn("Messages/Repo.usage")(function*(caps: Readonly<Record<Channel, number>>) {
      const json = JSON.stringify(Object.entries(caps).map(([channel, cap]) => ({ channel, cap })))
      const rows = yield* db(sql<{ channel: Channel; sentLastDay: number; capFreesAt: string | null; spacedUntil: string | null; queued: number; now: string }>`
        SELECT c.channel,
          (SELECT count(*)::int FROM social_messages m WHERE m.channel = c.channel AND m.status IN ('sending', 'sent')
            AND coalesce(m.sent_at, m.sending_started_at) > now() - interval '24 hours') AS sent_last_day,
          (SELECT t + interval '24 hours' FROM (
            SELECT coalesce(m.sent_at, m.sending_started_at) AS t FROM social_messages m
            WHERE m.channel = c.channel AND m.status IN ('sending', 'sent')
              AND coalesce(m.sent_at, m.sending_started_at) > now() - interval '24 hours'
            ORDER BY t DESC OFFSET greatest(c.cap - 1, 0) LIMIT 1) oldest) AS cap_frees_at,
          (SELECT next_send_at FROM social_channel_pacing WHERE channel = c.channel) AS spaced_until,
          (SELECT count(*)::int FROM social_messages m WHERE m.channel = c.channel AND m.status = 'queued') AS queued,
          now() AS now
        FROM jsonb_to_recordset(${json}::jsonb) AS c(channel text, cap int)`)
      const now = rows[0] !== undefined ? new Date(rows[0].now) : new Date()
      const byChannel = Object.fromEntries(rows.map((r) => [r.channel, {
        sentLast24h: r.sentLastDay,
        capFreesAt: r.capFreesAt === null ? null : new Date(r.capFreesAt),
        spacedUntil: r.spacedUntil === null ? null : new Date(r.spacedUntil),
        queued: r.queued
      }])) as Record<Channel, ChannelUsage & { readonly queued: number }>
      return { now, channels: byChannel }
    })

    const findById = Effect.fn("Messages/Repo.findById")(function*(id: MessageId) {
      const rows = yield* db(sql`SELECT ${sql.literal(columns)} FROM social_messages m WHERE m.id = ${id}`)
      return Option.fromNullable((yield* decodeMessages(rows).pipe(Effect.catchTag("ParseError", Effect.die)))[0])
    })

    const list = Effect.fn("Messages/Repo.list")(function*(query: {
      readonly status?: MessageStatus | undefined
      readonly profileId?: ProfileId | undefined
      readonly after?: number | undefined
      readonly limit: number
    }) {
      const where = [
        query.status !== undefined ? sql`m.status = ${query.status}` : undefined,
        query.profileId !== undefined ? sql`m.profile_id = ${query.profileId}` : undefined,
        query.after !== undefined ? sql`m.id < ${query.after}` : undefined
      ].filter((c) => c !== undefined)
      const rows = yield* db(sql`SELECT ${sql.literal(columns)} FROM social_messages m
        ${where.length > 0 ? sql`WHERE ${sql.and(where)}` : sql``} ORDER BY m.id DESC LIMIT ${query.limit}`)
      return yield* decodeMessages(rows).pipe(Effect.catchTag("ParseError", Effect.die))
    })

    const leases = makeQueue(sql, {
      table: "social_messages",
      alias: "m",
      waiting: ["queued"],
      claimed: "sending",
      dueAt: "next_attempt_at",
      firstClaimedAt: "sending_started_at"
    })

    /**
     * Takes the next message of a channel if `admit` says its limits allow one now. The count and the claim
     * run under a lock per channel, counted from the database, so caps hold across instances and restarts; a
     * message the limits hold back just stays queued. The channel's next send time moves on with each claim.
     */
    const claim = Effect.fn("Messages/Repo.claim")(function*(
      limits: ChannelLimits,
      owner: string,
      lease: Duration.Duration,
      admit: (usage: { readonly sentLast24h: number; readonly spacingDue: boolean }) => boolean
    ) {
      return yield* db(sql.withTransaction(Effect.gen(function*() {
        yield* sql`SELECT pg_advisory_xact_lock(${channelLockKey[limits.channel]})`
        yield* leases.abandon(
          limits.maxAttempts,
          sql`status = 'failed', error_code = 'abandoned', error_detail = 'Abandoned by its sender ' || attempts
            || CASE WHEN attempts = 1 THEN ' time' ELSE ' times' END || '; delivery unknown, check before resending'`,
          sql`channel = ${limits.channel}`
        )
        const [usage] = yield* sql<{ sentLast24h: number; spacingDue: boolean }>`
          SELECT (SELECT count(*)::int FROM social_messages WHERE channel = ${limits.channel} AND status IN ('sending', 'sent')
              AND coalesce(sent_at, sending_started_at) > now() - interval '24 hours') AS sent_last24h,
            coalesce((SELECT next_send_at <= now() FROM social_channel_pacing WHERE channel = ${limits.channel}), true) AS spacing_due`
        if (usage !== undefined && !admit(usage)) return Option.none()
        const rows = yield* leases.claim(owner, lease, {
          where: sql`channel = ${limits.channel}`,
          join: { from: sql`social_profiles p`, on: sql`p.id = m.profile_id` },
          returning: sql`${sql.literal(columns)}, m.delivery_key, m.sending_started_at, m.conversation_id, p.platform, p.handle,
            p.external_id, p.display_name, p.url AS profile_url, ${blockedReason} AS blocked`
        })
        const [claimed] = yield* Schema.decodeUnknown(Schema.Array(ClaimedMessage))(rows).pipe(Effect.orDie)
        if (claimed === undefined) return Option.none()
        yield* sql`INSERT INTO social_channel_pacing (channel, next_send_at)
          VALUES (${limits.channel}, now() + ${Math.round(Duration.toMillis(limits.spacing))} * interval '1 millisecond')
          ON CONFLICT (channel) DO UPDATE SET next_send_at = EXCLUDED.next_send_at`
        return Option.some<LeasedMessage>({ ...claimed, owner })
      })))
    })

    const settle = (id: MessageId, owner: string, assignments: Statement.Fragment) => db(leases.settle(id, owner, assignments))

    /** True in a statement on `social_messages` when the message's person has been erased. */
    const erased = sql`EXISTS (SELECT 1 FROM social_profiles e WHERE e.id = social_messages.profile_id AND e.erased_at IS NOT NULL)`

    /** Delivered: the message is sent and the person contacted, in one transaction. */
    const markSent = Effect.fn("Messages/Repo.markSent")(function*(
      id: MessageId,
      owner: string,
      providerMessageId: string | null,
      conversationId: string | null
    ) {
      return yield* db(sql.withTransaction(Effect.gen(function*() {
        // A person erased while the call ran keeps nothing of the delivery but its status and time.
        const rows = yield* sql`UPDATE social_messages SET status = 'sent', sent_at = now(),
            provider_message_id = CASE WHEN ${erased} THEN NULL ELSE ${providerMessageId} END,
            conversation_id = CASE WHEN ${erased} THEN NULL ELSE coalesce(${conversationId}, conversation_id) END,
            error_code = NULL, error_detail = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
          WHERE ${leases.fenced(id, owner)} RETURNING profile_id`
        const profileId = (rows[0] as { profileId: number } | undefined)?.profileId
        if (profileId !== undefined) {
          yield* sql`UPDATE social_profiles SET status = 'contacted', updated_at = now() WHERE id = ${profileId} AND status = 'new'`
        }
        return rows.length > 0
      })))
    })

    const markFailed = Effect.fn("Messages/Repo.markFailed")(function*(id: MessageId, owner: string, code: string, detail: string) {
      return yield* settle(id, owner, sql`status = 'failed', error_code = ${code}, error_detail = ${detail}`)
    })

    /** Back in the queue until `at`; waiting for a platform's limit or for our own configuration gives the attempt back. */
    const retryAt = Effect.fn("Messages/Repo.retryAt")(function*(
      id: MessageId,
      owner: string,
      at: Date,
      code: string,
      detail: string,
      countsAsAttempt: boolean
    ) {
      const attempts = countsAsAttempt ? sql`attempts` : sql`greatest(attempts - 1, 0)`
      return yield* settle(
        id,
        owner,
        sql`status = 'queued', next_attempt_at = ${at}, error_code = ${code}, error_detail = ${detail}, attempts = ${attempts}`
      )
    })

    /** Extends the lease while a delivery runs; false when the message is no longer ours. */
    const renew = Effect.fn("Messages/Repo.renew")(function*(id: MessageId, owner: string, lease: Duration.Duration) {
      return yield* db(leases.renew(id, owner, lease))
    })

    /**
     * Handed back at shutdown, due at once. The attempt is kept: the delivery may have begun, and a retry
     * checks for that first (Bluesky reads the conversation; the others repeat their idempotency keys).
     */
    const release = Effect.fn("Messages/Repo.release")(function*(id: MessageId, owner: string) {
      return yield* db(leases.release(id, owner, { giveAttemptBack: false }))
    })

    /**
     * Right before the provider call: still ours, and the person has not opted out or replied since the
     * claim. Returns why not, if not.
     */
    const stillClear = Effect.fn("Messages/Repo.stillClear")(function*(id: MessageId, owner: string) {
      const rows = yield* db(sql<{ blocked: string | null }>`
        SELECT ${blockedReason} AS blocked FROM social_messages m JOIN social_profiles p ON p.id = m.profile_id
        WHERE m.id = ${id} AND m.lease_owner = ${owner} AND m.status = 'sending'`)
      return rows.length === 0 ? Option.some("lease_lost") : Option.fromNullable(rows[0]!.blocked)
    })

    /** Recorded before a call whose outcome we must be able to find again after a crash. */
    const rememberConversation = Effect.fn("Messages/Repo.rememberConversation")(function*(id: MessageId, owner: string, conversationId: string) {
      return yield* db(sql`UPDATE social_messages SET conversation_id = ${conversationId} WHERE ${leases.fenced(id, owner)} AND NOT ${erased}`)
    })

    const session = Effect.fn("Messages/Repo.session")(function*(account: string) {
      const rows = yield* db(sql<{ did: string; accessJwt: string; refreshJwt: string }>`
        SELECT did, access_jwt, refresh_jwt FROM social_sender_sessions WHERE account = ${account}`)
      return Option.fromNullable(rows[0])
    })

    const saveSession = Effect.fn("Messages/Repo.saveSession")(function*(
      account: string,
      session: { readonly did: string; readonly accessJwt: string; readonly refreshJwt: string }
    ) {
      yield* db(sql`INSERT INTO social_sender_sessions (account, did, access_jwt, refresh_jwt)
        VALUES (${account}, ${session.did}, ${session.accessJwt}, ${session.refreshJwt})
        ON CONFLICT (account) DO UPDATE SET did = EXCLUDED.did, access_jwt = EXCLUDED.access_jwt,
          refresh_jwt = EXCLUDED.refresh_jwt, updated_at = now()`)
    })

    /** Sent messages of the last 30 days whose person has not replied yet: where to look for replies. */
    const awaitingReply = Effect.fn("Messages/Repo.awaitingReply")(function*(channel: Channel) {
      return yield* db(sql<{ profileId: number; recipient: string; conversationId: string | null; sentAt: string }>`
        SELECT m.profile_id, m.recipient, m.conversation_id, m.sent_at FROM social_messages m
        JOIN social_profiles p ON p.id = m.profile_id
        WHERE m.channel = ${channel} AND m.status = 'sent' AND m.sent_at > now() - interval '30 days'
          AND p.replied_at IS NULL AND p.erased_at IS NULL
        ORDER BY m.sent_at DESC LIMIT 500`)
    })

    return {
      queue,
      cancel,
      retry,
      usage,
      findById,
      list,
      claim,
      markSent,
      markFailed,
      retryAt,
      rememberConversation,
      renew,
      release,
      stillClear,
      session,
      saveSession,
      awaitingReply
    } as const
  })
}) {}
