import { Schema } from "effect"
import { MigrateCommand, RecreateEmptyCommand, RepairCommand } from "./Database.js"

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

/**
 * The live schema lacks something the migrations produce (a table, a column, a constraint, an index), or
 * has it changed. Nothing repairs it implicitly: the message names each difference and the remedies.
 */
export class SchemaDrift extends Schema.TaggedError<SchemaDrift>()("SchemaDrift", {
  differences: Schema.Array(Schema.String),
  remedy: Schema.String,
  message: Schema.String
}) {
  static readonly of = (differences: ReadonlyArray<string>, options: { readonly rowsLost: boolean }) => {
    const remedy = (options.rowsLost
      ? "Tables or columns are gone, and their rows with them: restore the database from a backup, or run " +
        `${RecreateEmptyCommand} to recreate them empty (rows that pointed at lost rows are removed or nulled, ` +
        "and listed)."
      : `Run ${RepairCommand} to restore what is missing (it refuses, changing nothing, if rows violate a ` +
        "restored constraint).") + ' See "After drift" in the README.'
    return new SchemaDrift({
      differences,
      remedy,
      message: `The database schema differs from what the migrations produce (${differences.length}): ` +
        `${differences.join("; ")}. ${remedy}`
    })
  }
}

/** `migrate repair` would have to lose or re-aim data to go on; it changed nothing. */
export class RepairRefused extends Schema.TaggedError<RepairRefused>()("RepairRefused", {
  reasons: Schema.Array(Schema.String),
  remedy: Schema.String,
  message: Schema.String
}) {
  static readonly of = (reasons: ReadonlyArray<string>, remedy: string) =>
    new RepairRefused({ reasons, remedy, message: `Repair refused, nothing was changed: ${reasons.join("; ")}. ${remedy}` })
}
