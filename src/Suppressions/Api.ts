import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { ImportRejected } from "../Domain/Import.js"
import { Cursor, Page, PageLimit } from "../Domain/Page.js"
import { NewSuppression, Suppression, SuppressionNotFound } from "../Domain/Suppression.js"

export class SuppressionsApi extends HttpApiGroup.make("suppressions")
  .add(
    HttpApiEndpoint.get("list", "/suppressions")
      .setUrlParams(Schema.Struct({ limit: Schema.optional(PageLimit), cursor: Schema.optional(Cursor) }))
      .addSuccess(Page(Suppression).annotations({ identifier: "SuppressionsPage" }))
  )
  .add(HttpApiEndpoint.post("add", "/suppressions").setPayload(NewSuppression).addSuccess(Suppression, { status: 201 }))
  .add(
    HttpApiEndpoint.del("remove", "/suppressions/:id")
      .setPath(Schema.Struct({ id: Schema.NumberFromString.pipe(Schema.int()) }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(SuppressionNotFound)
  )
  .add(
    HttpApiEndpoint.post("import", "/suppressions/import")
      .setPayload(Schema.Struct({ csv: Schema.String }))
      .addSuccess(Schema.Struct({
        accepted: Schema.Int,
        rejected: Schema.Array(Schema.Struct({ row: Schema.Int, reason: Schema.String }))
      }))
      .addError(ImportRejected)
      .annotate(OpenApi.Description, "CSV with a header row: platform,handle[,reason].")
  )
  .add(
    HttpApiEndpoint.get("export", "/suppressions/export")
      .addSuccess(HttpApiSchema.Text({ contentType: "text/csv" }))
      .annotate(OpenApi.Description, "The whole list as CSV: platform,handle,reason,created_at.")
  )
  .annotate(OpenApi.Title, "Suppressions")
{}
