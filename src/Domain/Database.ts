import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"

/** The tables the service reads and writes; startup and readiness verify that each exists. */
export const SocialTables = [
  "social_profiles",
  "social_discovery_jobs",
  "social_drafts",
  "social_messages",
  "social_suppressions",
  "social_sender_sessions",
  "social_channel_pacing",
  "social_idempotency_keys",
  "social_audit"
] as const

export const MigrateCommand = "npm run migrate (or ./prestart.sh)"
export const StatusCommand = "npm run migrate status"
/** Restores indexes and constraints; refuses when tables or columns are gone. */
export const RepairCommand = "npm run migrate -- repair"
/** Also recreates lost tables and columns, empty. */
export const RecreateEmptyCommand = "npm run migrate -- repair --recreate-empty"

export class TablesMissing extends Schema.TaggedError<TablesMissing>()(
  "TablesMissing",
  {
    tables: Schema.Array(Schema.String),
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 503, description: "The database schema is not migrated" })
) {
  static readonly of = (tables: ReadonlyArray<string>) =>
    new TablesMissing({
      tables,
      message: `Social outreach tables do not exist: ${tables.join(", ")}. ` +
        `If migrations were never applied to this database, run: ${MigrateCommand}. ` +
        `If they were and the tables were lost since, restore the database from a backup, or recreate them empty ` +
        `with: ${RecreateEmptyCommand} (${StatusCommand} lists what is missing).`
    })
}

export class DatabaseUnavailable extends Schema.TaggedError<DatabaseUnavailable>()(
  "DatabaseUnavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503, description: "The database cannot be reached" })
) {}
