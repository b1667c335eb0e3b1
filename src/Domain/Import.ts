import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { Text } from "./Text.js"

export const MaxImportRows = 10_000

/** An import of profiles: LinkedIn's `Connections.csv`, the generic CSV layout, or JSON objects. */
export const ImportRequest = Schema.Union(
  Schema.Struct({ format: Schema.Literal("linkedin_csv"), csv: Text }),
  Schema.Struct({ format: Schema.Literal("csv"), csv: Text }),
  Schema.Struct({ format: Schema.Literal("json"), profiles: Schema.Array(Schema.Unknown).pipe(Schema.maxItems(MaxImportRows)) })
).annotations({ identifier: "ImportRequest" })
export type ImportRequest = typeof ImportRequest.Type

export const ImportReport = Schema.Struct({
  accepted: Schema.Int.annotations({ description: "New profiles" }),
  updated: Schema.Int.annotations({ description: "Profiles already known, refreshed" }),
  rejected: Schema.Array(Schema.Struct({ row: Schema.Int, reason: Schema.String }))
}).annotations({ identifier: "ImportReport" })
export type ImportReport = typeof ImportReport.Type

/** The file as a whole cannot be imported; nothing of it was written. */
export class ImportRejected extends Schema.TaggedError<ImportRejected>()(
  "ImportRejected",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 400 })
) {}
