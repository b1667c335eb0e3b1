import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Text } from "../Domain/Text.js"
import { IdFromString } from "../Domain/Id.js"
import { ImportRejected } from "../Domain/Import.js"
import { ImportBody } from "../Domain/Server.js"
import { Cursor, Page, PageLimit } from "../Domain/Page.js"
import { NewSuppression, Suppression, SuppressionNotFound, SuppressionProtected } from "../Domain/Suppression.js"

export class SuppressionsApi extends HttpApiGroup.make("suppressions")
  .add(
    HttpApiEndpoint.get("list", "/suppressions")
      .setUrlParams(Schema.Struct({ limit: Schema.optional(PageLimit), cursor: Schema.optional(Cursor) }))
      .addSuccess(Page(Suppression).annotations({ identifier: "SuppressionsPage" }))
  )
  .add(HttpApiEndpoint.post("add", "/suppressions").setPayload(NewSuppression).addSuccess(Suppression, { status: 201 }))
  .add(
    HttpApiEndpoint.del("remove", "/suppressions/:id")
      .setPath(Schema.Struct({ id: IdFromString }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(SuppressionNotFound)
      .addError(SuppressionProtected)
  )
  .add(
    HttpApiEndpoint.post("import", "/suppressions/import")
      .setPayload(Schema.Union(Schema.Struct({ csv: Text }), HttpApiSchema.withEncoding(Text, { kind: "Text", contentType: "text/csv" })))
      .annotate(ImportBody, true)
      .addSuccess(Schema.Struct({
        accepted: Schema.Int,
        rejected: Schema.Array(Schema.Struct({ row: Schema.Int, reason: Schema.String }))
      }))
      .addError(ImportRejected)
      .annotate(
        OpenApi.Description,
        "CSV with a header row: platform,handle[,reason], sent as text/csv or as JSON {\"csv\": \"...\"}. The reason may be left out per row."
      )
  )
  .add(
    HttpApiEndpoint.get("export", "/suppressions/export")
      .addSuccess(HttpApiSchema.Text({ contentType: "text/csv" }))
      .annotate(OpenApi.Description, "The whole list as CSV: platform,handle,reason,created_at.")
  )
  .annotate(OpenApi.Title, "Suppressions")
{}
