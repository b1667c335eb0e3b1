import { Schema } from "effect"

/** Why text cannot be stored as it is (PostgreSQL refuses NUL; a lone surrogate has no UTF-8 form), if so. */
export const textProblem = (text: string): string | undefined =>
  text.includes("\u0000")
    ? "must not contain a NUL character (\\u0000)"
    : !text.isWellFormed()
    ? "must be well-formed Unicode (it holds a lone surrogate)"
    : undefined

/**
 * Text from a request, as PostgreSQL can store it: no NUL character (a `text` column refuses it) and no
 * lone surrogate (it cannot be encoded as UTF-8). Refused at the edge with a message naming the field.
 */
export const Text = Schema.String.pipe(Schema.filter((text) => textProblem(text) ?? true)).annotations({ identifier: "Text" })

/** `Text`, trimmed on the way in. */
export const TrimmedText = Schema.compose(Schema.Trim, Text).annotations({ identifier: "TrimmedText" })

/** Text from a platform, made storable instead of refused: NUL removed, lone surrogates replaced by U+FFFD. */
export const storable = (text: string): string => text.replaceAll("\u0000", "").toWellFormed()

/** The largest value of a PostgreSQL `integer` column. */
export const MaxInt32 = 2_147_483_647

/** A count stored in an `integer` column. */
export const Count32 = Schema.Int.pipe(Schema.between(0, MaxInt32))

/**
 * A JSON value from a platform made storable in `jsonb`: every string and key through `storable`, and
 * anything nested deeper than `maxDepth` cut off (a hostile server could send JSON nested a million deep).
 */
export const storableJson = (value: unknown, maxDepth = 32): unknown => {
  const root: { value: unknown } = { value: undefined }
  const stack: Array<{ readonly source: unknown; readonly assign: (v: unknown) => void; readonly depth: number }> = [
    { source: value, assign: (v) => (root.value = v), depth: 0 }
  ]
  while (stack.length > 0) {
    const { assign, depth, source } = stack.pop()!
    if (typeof source === "string") assign(storable(source))
    else if (typeof source !== "object" || source === null) assign(source)
    else if (depth >= maxDepth) assign(null)
    else if (Array.isArray(source)) {
      const copy: Array<unknown> = new Array(source.length)
      assign(copy)
      source.forEach((item, i) => stack.push({ source: item, assign: (v) => (copy[i] = v), depth: depth + 1 }))
    } else {
      const copy: Record<string, unknown> = {}
      assign(copy)
      for (const [key, item] of Object.entries(source)) {
        stack.push({ source: item, assign: (v) => (copy[storable(key)] = v), depth: depth + 1 })
      }
    }
  }
  return root.value
}
