import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { DatabaseUnavailable, TablesMissing } from "../Domain/Database.js"

export class HealthApi extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("live", "/live")
      .addSuccess(Schema.Struct({ status: Schema.Literal("live") }))
      .annotate(OpenApi.Description, "The process is up.")
  )
  .add(
    HttpApiEndpoint.get("ready", "/ready")
      .addSuccess(Schema.Struct({ status: Schema.Literal("ready") }))
      .addError(TablesMissing)
      .addError(DatabaseUnavailable)
      .annotate(OpenApi.Description, "The database is reachable and the schema is complete.")
  )
  .prefix("/health")
  .annotate(OpenApi.Title, "Health")
{}
