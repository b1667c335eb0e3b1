import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { DatabaseUnavailable, TablesMissing } from "../Domain/Database.js"
import { ShuttingDown } from "../Domain/Server.js"
import { WorkerStatus } from "../Domain/Worker.js"

export class HealthApi extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("live", "/live")
      .addSuccess(Schema.Struct({ status: Schema.Literal("live") }))
      .annotate(OpenApi.Description, "The process is up.")
  )
  .add(
    HttpApiEndpoint.get("ready", "/ready")
      .addSuccess(Schema.Struct({ status: Schema.Literal("ready"), workers: Schema.Array(WorkerStatus) }))
      .addError(TablesMissing)
      .addError(DatabaseUnavailable)
      .addError(ShuttingDown)
      .annotate(
        OpenApi.Description,
        "The database is reachable, the schema is complete and the instance is not shutting down. `workers` reports " +
          "the background loops (a pool that keeps crashing is `failing`), without failing the check."
      )
  )
  .prefix("/health")
  .annotate(OpenApi.Title, "Health")
{}
