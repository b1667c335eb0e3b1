import { Schema } from "effect"

/**
 * A point in time as an ISO 8601 string with its UTC offset (`2026-11-26T08:27:52.123456+00:00`), exactly
 * as PostgreSQL stores it: the driver hands it over as text, so no `Date` is built and formatted again for
 * every value of every row served.
 */
export const Timestamp = Schema.String.annotations({
  identifier: "Timestamp",
  description: "ISO 8601 date and time with offset",
  jsonSchema: { type: "string", format: "date-time" }
})
export type Timestamp = typeof Timestamp.Type

/** PostgreSQL's `timestamptz` text (`2026-11-26 08:27:52.123456+00`) as ISO 8601. */
export const timestampFromPostgres = (text: string): string => {
  const iso = text.length > 10 && text[10] === " " ? `${text.slice(0, 10)}T${text.slice(11)}` : text
  const sign = iso[iso.length - 3]
  return sign === "+" || sign === "-" ? `${iso}:00` : iso
}
