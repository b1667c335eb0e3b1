import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { DraftId, DraftIdFromString, DraftNotFound } from "../Domain/Draft.js"
import { Draft } from "../Domain/Draft.js"
import {
  ChannelNotConfigured,
  ChannelStatus,
  Message,
  MessageConflict,
  MessageIdFromString,
  MessageNotFound,
  MessageStatus,
  SendRefused
} from "../Domain/Message.js"
import { Cursor, Page, PageLimit } from "../Domain/Page.js"
import { ProfileIdFromString } from "../Domain/Profile.js"

export class MessagesApi extends HttpApiGroup.make("messages")
  .add(
    HttpApiEndpoint.post("send", "/drafts/:id/send")
      .setPath(Schema.Struct({ id: DraftIdFromString }))
      .setHeaders(Schema.Struct({
        "idempotency-key": Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)))
      }))
      .addSuccess(Message, { status: 202 })
      .addError(DraftNotFound)
      .addError(SendRefused)
      .addError(ChannelNotConfigured)
      .annotate(
        OpenApi.Description,
        "Queue the approved draft's message. Repeating the request (same Idempotency-Key, or the same draft) returns the same message. " +
          "A key is bound to the first draft it is used with. A channel without credentials is a 409 ChannelNotConfigured naming the settings."
      )
  )
  .add(
    HttpApiEndpoint.post("sendMany", "/messages/send")
      .setPayload(Schema.Struct({ draftIds: Schema.Array(DraftId).pipe(Schema.minItems(1), Schema.maxItems(500)) }))
      .addSuccess(Schema.Struct({
        queued: Schema.Array(Message),
        refused: Schema.Array(Schema.Struct({ draftId: Schema.Int, reason: Schema.String, message: Schema.String }))
      }).annotations({ identifier: "SendReport" }), { status: 202 })
      .annotate(OpenApi.Description, "Queue several approved drafts; each is queued or refused with its reason, as the single send would.")
  )
  .add(
    HttpApiEndpoint.get("list", "/messages")
      .setUrlParams(Schema.Struct({
        status: Schema.optional(MessageStatus),
        profileId: Schema.optional(ProfileIdFromString).annotations({ description: "Only the messages to this person" }),
        limit: Schema.optional(PageLimit),
        cursor: Schema.optional(Cursor)
      }))
      .addSuccess(Page(Message).annotations({ identifier: "MessagesPage" }))
      .annotate(OpenApi.Description, "Messages newest first, by status and person, in pages linked by an opaque cursor.")
  )
  .add(
    HttpApiEndpoint.get("get", "/messages/:id")
      .setPath(Schema.Struct({ id: MessageIdFromString }))
      .addSuccess(Message)
      .addError(MessageNotFound)
  )
  .add(
    HttpApiEndpoint.post("cancel", "/messages/:id/cancel")
      .setPath(Schema.Struct({ id: MessageIdFromString }))
      .addSuccess(Draft)
      .addError(MessageNotFound)
      .addError(MessageConflict)
      .annotate(OpenApi.Description, "Take back a message that is still queued: it is removed and its draft, returned, is approved again.")
  )
  .add(
    HttpApiEndpoint.post("retry", "/messages/:id/retry")
      .setPath(Schema.Struct({ id: MessageIdFromString }))
      .addSuccess(Message, { status: 202 })
      .addError(MessageNotFound)
      .addError(MessageConflict)
      .addError(ChannelNotConfigured)
      .annotate(
        OpenApi.Description,
        "Queue a failed message again with the same delivery key (providers that deduplicate still do). Refused for permanent " +
          "failures (MessagesDisabled, a 4xx), opted-out or replied people; a queued message is returned as it is."
      )
  )
  .add(
    HttpApiEndpoint.get("channels", "/channels")
      .addSuccess(Schema.Array(ChannelStatus))
      .annotate(OpenApi.Description, "Per sending channel: configured or not (and the missing settings), the account, use of the daily cap, next send time.")
  )
  .annotate(OpenApi.Title, "Messages")
{}
