import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { AuditAction, AuditRecord, AuditSubject } from "../Domain/Audit.js"
import { IdFromString } from "../Domain/Id.js"
import { Cursor, Page, PageLimit } from "../Domain/Page.js"
import { Text } from "../Domain/Text.js"

export class AuditApi extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("list", "/audit")
      .setUrlParams(Schema.Struct({
        actor: Schema.optional(Text.pipe(Schema.maxLength(64))),
        action: Schema.optional(AuditAction),
        subjectType: Schema.optional(AuditSubject),
        subjectId: Schema.optional(IdFromString),
        profileId: Schema.optional(IdFromString),
        limit: Schema.optional(PageLimit),
        cursor: Schema.optional(Cursor)
      }))
      .addSuccess(Page(AuditRecord).annotations({ identifier: "AuditPage" }))
      .annotate(
        OpenApi.Description,
        "Who did what, when, to which record, newest first: every approval, rejection, edit, send, opt-out, suppression, " +
          "erasure and export, recorded under the name of the token used. Filter by actor, action, subject or person."
      )
  )
  .annotate(OpenApi.Title, "Audit")
{}
