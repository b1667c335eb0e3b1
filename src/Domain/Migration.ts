import { Schema } from "effect"
import { MigrateCommand } from "./Database.js"

/** A migration known by its file: `0003_create_social_drafts`. */
export const MigrationName = Schema.String

export class MigrationFailed extends Schema.TaggedError<MigrationFailed>()("MigrationFailed", {
  migration: MigrationName,
  message: Schema.String
}) {}

/** A migration older than the newest applied one that was never applied: the Migrator would skip it forever. */
export class MigrationSkipped extends Schema.TaggedError<MigrationSkipped>()("MigrationSkipped", {
  migrations: Schema.Array(MigrationName),
  message: Schema.String
}) {}

/** An applied id whose recorded name differs from the file with that id now. */
export class MigrationConflict extends Schema.TaggedError<MigrationConflict>()("MigrationConflict", {
  migrations: Schema.Array(MigrationName),
  message: Schema.String
}) {
  static readonly of = (migrations: ReadonlyArray<string>) =>
    new MigrationConflict({
      migrations,
      message: `Applied migrations no longer match their files: ${migrations.join(", ")}. ` +
        "Never rename or renumber an applied migration; add a new one."
    })
}

export class MigrationLockTimeout extends Schema.TaggedError<MigrationLockTimeout>()("MigrationLockTimeout", {
  message: Schema.String
}) {}

/** Startup without migrating (`MIGRATE_ON_START=false`) found migrations that are not applied. */
export class MigrationsPending extends Schema.TaggedError<MigrationsPending>()("MigrationsPending", {
  migrations: Schema.Array(MigrationName),
  message: Schema.String
}) {
  static readonly of = (migrations: ReadonlyArray<string>) =>
    new MigrationsPending({
      migrations,
      message: `Migrations are pending: ${migrations.join(", ")}. Run: ${MigrateCommand}`
    })
}
