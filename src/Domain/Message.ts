import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { IdFromString } from "./Id.js"
import { Channel, DraftId } from "./Draft.js"
import { ProfileId } from "./Profile.js"
import { Timestamp } from "./Timestamp.js"

export const MessageId = Schema.Int.pipe(Schema.positive(), Schema.brand("MessageId"))
export type MessageId = typeof MessageId.Type
export const MessageIdFromString = IdFromString.pipe(Schema.compose(MessageId))

export const MessageStatus = Schema.Literal("queued", "sending", "sent", "failed")
export type MessageStatus = typeof MessageStatus.Type

/** Why a queued message is not being sent yet. */
export const WaitingReason = Schema.Literal("daily_cap", "spacing", "rate_limited", "sender_auth", "retry", "not_configured")
export type WaitingReason = typeof WaitingReason.Type

/** A message as stored. */
export const MessageRow = Schema.Struct({
  id: MessageId,
  draftId: DraftId,
  profileId: ProfileId,
  channel: Channel,
  recipient: Schema.String,
  body: Schema.String,
  status: MessageStatus,
  attempts: Schema.Int,
  providerMessageId: Schema.NullOr(Schema.String),
  errorCode: Schema.NullOr(Schema.String),
  errorDetail: Schema.NullOr(Schema.String),
  nextAttemptAt: Schema.NullOr(Timestamp),
  queuedAt: Timestamp,
  sentAt: Schema.NullOr(Timestamp)
})
export type MessageRow = typeof MessageRow.Type

/** A message as the API shows it: a queued one that waits says why and until when (`nextAttemptAt`). */
export const Message = Schema.Struct({
  ...MessageRow.fields,
  waitingFor: Schema.NullOr(WaitingReason),
  waitingDetail: Schema.NullOr(Schema.String)
}).annotations({ identifier: "Message" })
export type Message = typeof Message.Type

/** A sending channel: whether it can send, as whom, and how much of its limits is used. */
export const ChannelStatus = Schema.Struct({
  channel: Channel,
  configured: Schema.Boolean,
  missing: Schema.Array(Schema.String).annotations({ description: "Settings to set before the channel can send" }),
  sendsAs: Schema.NullOr(Schema.String),
  sentLast24h: Schema.Int,
  dailyCap: Schema.Int,
  queued: Schema.Int,
  nextSendAt: Schema.NullOr(Timestamp).annotations({ description: "The earliest the channel may send again (cap and spacing); null when not configured" })
}).annotations({ identifier: "ChannelStatus" })
export type ChannelStatus = typeof ChannelStatus.Type

export class MessageNotFound extends Schema.TaggedError<MessageNotFound>()(
  "MessageNotFound",
  { id: MessageId, message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly of = (id: MessageId) => new MessageNotFound({ id, message: `No message with id ${id}` })
}

/** The draft may not be sent now: not approved, the person opted out or was already contacted. */
export class SendRefused extends Schema.TaggedError<SendRefused>()(
  "SendRefused",
  { draftId: DraftId, reason: Schema.String, message: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** The draft's channel has no credentials: a message would wait forever, so none is queued. */
export class ChannelNotConfigured extends Schema.TaggedError<ChannelNotConfigured>()(
  "ChannelNotConfigured",
  { channel: Channel, missing: Schema.Array(Schema.String), message: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** The message's state does not allow it: cancelling one that is no longer queued, retrying a permanent failure. */
export class MessageConflict extends Schema.TaggedError<MessageConflict>()(
  "MessageConflict",
  { id: MessageId, status: MessageStatus, reason: Schema.String, message: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}
