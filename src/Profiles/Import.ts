import { parse } from "csv-parse/sync"
import { Either, ParseResult, Schema } from "effect"
import { ImportRejected, ImportRequest } from "../Domain/Import.js"
import { Platform } from "../Domain/Platform.js"
import { ProfileInput } from "../Domain/Profile.js"
import { Text, TrimmedText } from "../Domain/Text.js"

export interface RejectedRow {
  readonly row: number
  readonly reason: string
}

export interface ParsedImport {
  readonly profiles: ReadonlyArray<ProfileInput>
  /** The row each profile came from, position for position. */
  readonly rows: ReadonlyArray<number>
  readonly rejected: ReadonlyArray<RejectedRow>
}

const Optional = Schema.optional(Schema.NullOr(Text))

/** The generic layout, as CSV columns (snake_case) or JSON objects (camelCase). */
const GenericRow = Schema.Struct({
  platform: Platform,
  handle: TrimmedText.pipe(Schema.minLength(1)),
  externalId: Optional,
  displayName: Optional,
  bio: Optional,
  location: Optional,
  url: Optional,
  avatarUrl: Optional,
  followersCount: Schema.optional(Schema.NullOr(Schema.Union(Schema.Int, Schema.NumberFromString.pipe(Schema.int()))))
})

const describe = (error: ParseResult.ParseError) =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.join(".") || "row"}: ${issue.message}`)
    .join("; ")

const blankToNull = (value: string | null | undefined) => (value === undefined || value === null || value.trim() === "" ? null : value.trim())

const fromGeneric = (row: unknown): Either.Either<ProfileInput, string> =>
  Schema.decodeUnknownEither(GenericRow)(row).pipe(
    Either.mapLeft(describe),
    Either.flatMap((r) =>
      Schema.decodeUnknownEither(ProfileInput)({
        platform: r.platform,
        externalId: blankToNull(r.externalId) ?? r.handle,
        handle: r.handle,
        displayName: blankToNull(r.displayName),
        bio: blankToNull(r.bio),
        location: blankToNull(r.location),
        url: blankToNull(r.url),
        avatarUrl: blankToNull(r.avatarUrl),
        followersCount: r.followersCount ?? null,
        acceptsDms: null,
        raw: row
      }).pipe(Either.mapLeft(describe))
    )
  )

const LinkedinUrl = /^https?:\/\/([a-z]{2,3}\.)?linkedin\.com\/in\/([^/?#\s]+)\/?/i

// LinkedIn's export: "Notes:" and a paragraph come before the header row.
const LinkedinHeader = ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]

const fromLinkedin = (record: Record<string, string>): Either.Either<ProfileInput, string> => {
  const match = LinkedinUrl.exec(record["URL"] ?? "")
  if (match === null) return Either.left("URL: expected a LinkedIn profile URL such as https://www.linkedin.com/in/name")
  let slug: string
  try {
    slug = decodeURIComponent(match[2]!)
  } catch {
    return Either.left("URL: the profile name in the URL is not valid")
  }
  const name = [record["First Name"], record["Last Name"]].map(blankToNull).filter((part) => part !== null).join(" ")
  const position = blankToNull(record["Position"])
  const company = blankToNull(record["Company"])
  return Either.right({
    platform: "linkedin",
    externalId: `https://www.linkedin.com/in/${slug.toLowerCase()}`,
    handle: slug,
    displayName: name.length > 0 ? name : null,
    bio: position && company ? `${position} at ${company}` : position ?? company,
    location: null,
    url: `https://www.linkedin.com/in/${slug}`,
    avatarUrl: null,
    followersCount: null,
    acceptsDms: null,
    raw: record
  })
}

interface CsvRow {
  readonly cells: Array<string>
  /** The file's line number where the row ends, as an editor shows it. */
  readonly line: number
}

const readCsv = (text: string): Either.Either<Array<CsvRow>, ImportRejected> => {
  try {
    const rows = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true, trim: true, info: true }) as unknown as Array<
      { record: Array<string>; info: { lines: number } }
    >
    return Either.right(rows.map(({ info, record }) => ({ cells: record, line: info.lines })))
  } catch (error) {
    return Either.left(new ImportRejected({ message: `The CSV could not be read: ${(error as Error).message}` }))
  }
}

const records = (rows: Array<CsvRow>, headerIndex: number) => {
  const header = rows[headerIndex]!.cells
  return rows.slice(headerIndex + 1).map(({ cells, line }) => ({
    line,
    record: Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]))
  }))
}

const validate = <Row>(
  rows: ReadonlyArray<{ readonly line: number; readonly record: Row }>,
  toProfile: (row: Row) => Either.Either<ProfileInput, string>
): ParsedImport => {
  const profiles: Array<ProfileInput> = []
  const accepted: Array<number> = []
  const rejected: Array<RejectedRow> = []
  for (const { line, record } of rows) {
    Either.match(toProfile(record), {
      onLeft: (reason) => rejected.push({ row: line, reason }),
      onRight: (profile) => {
        profiles.push(profile)
        accepted.push(line)
      }
    })
  }
  return { profiles, rows: accepted, rejected }
}

const snakeToCamel = (record: Record<string, string>) =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key.trim().replace(/_([a-z])/g, (_, c) => c.toUpperCase()), value]))

/**
 * Reads an import: LinkedIn's own `Connections.csv`, the generic CSV layout, or JSON. A file that cannot
 * be read at all is rejected whole; otherwise every row is accepted or rejected on its own, with the row
 * number (as a spreadsheet shows it) and the reason.
 */
export const parseImport = (request: ImportRequest): Either.Either<ParsedImport, ImportRejected> => {
  switch (request.format) {
    case "json":
      return Either.right(validate(request.profiles.map((record, i) => ({ line: i + 1, record })), fromGeneric))
    case "csv":
      return readCsv(request.csv).pipe(Either.flatMap((rows) => {
        const header = rows[0]?.cells ?? []
        if (!header.includes("platform") || !header.includes("handle")) {
          return Either.left(new ImportRejected({ message: "The CSV needs a header row with at least platform and handle" }))
        }
        return Either.right(
          validate(records(rows, 0).map(({ line, record }) => ({ line, record: snakeToCamel(record) })), fromGeneric)
        )
      }))
    case "linkedin_csv":
      return readCsv(request.csv).pipe(Either.flatMap((rows) => {
        const headerIndex = rows.findIndex(({ cells }) => cells[0] === "First Name" && cells.includes("URL"))
        if (headerIndex === -1) {
          return Either.left(new ImportRejected({
            message: `No LinkedIn header row found; expected the columns of Connections.csv: ${LinkedinHeader.join(", ")}`
          }))
        }
        return Either.right(validate(records(rows, headerIndex), fromLinkedin))
      }))
  }
}
