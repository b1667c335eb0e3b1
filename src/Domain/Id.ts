import { Schema } from "effect"

/**
 * A record id in a path or query string: digits only, as it was written (`1e3`, `0x10`, `+1` and ` 1` are
 * refused, not read as numbers), up to 15 of them.
 */
export const IdFromString = Schema.String.pipe(
  Schema.pattern(/^[1-9][0-9]{0,14}$/, { message: () => "must be a positive whole number (digits only)" }),
  Schema.compose(Schema.NumberFromString)
).annotations({ identifier: "IdFromString" })

/** A request body whose fields are all optional: no body at all (or `null`) reads as `{}`. */
export const OptionalBody = <Fields extends Schema.Struct.Fields>(body: Schema.Struct<Fields>) =>
  Schema.transform(Schema.NullOr(body), Schema.typeSchema(body), {
    strict: false,
    decode: (value) => value ?? {},
    encode: (value) => value
  }).annotations({ description: "Optional: send no body when no field is needed" })
