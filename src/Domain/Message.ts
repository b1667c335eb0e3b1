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

export const Message = Schema.Struct({
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
}).annotations({ identifier: "Message" })
export type Message = typeof Message.Type

export class MessageNotFound extends Schema.TaggedError<MessageNotFound>()(
  "MessageNotFound",
  { id: MessageId, message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/** The draft may not be sent now: not approved, the person opted out or was already contacted. */
export class SendRefused extends Schema.TaggedError<SendRefused>()(
  "SendRefused",
  { draftId: DraftId, reason: Schema.String, message: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}
