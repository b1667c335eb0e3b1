import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { DraftId, DraftIdFromString, DraftNotFound } from "../Domain/Draft.js"
import { Message, MessageIdFromString, MessageNotFound, MessageStatus, SendRefused } from "../Domain/Message.js"
import { Cursor, Page, PageLimit } from "../Domain/Page.js"

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
      .annotate(
        OpenApi.Description,
        "Queue the approved draft's message. Repeating the request (same Idempotency-Key, or the same draft) returns the same message."
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
        limit: Schema.optional(PageLimit),
        cursor: Schema.optional(Cursor)
      }))
      .addSuccess(Page(Message).annotations({ identifier: "MessagesPage" }))
  )
  .add(
    HttpApiEndpoint.get("get", "/messages/:id")
      .setPath(Schema.Struct({ id: MessageIdFromString }))
      .addSuccess(Message)
      .addError(MessageNotFound)
  )
  .annotate(OpenApi.Title, "Messages")
{}
