import { Either } from "effect"
import type { Channel } from "../Domain/Draft.js"

/** What a template can say about a person; custom fields come with the request. */
export interface TemplateProfile {
  readonly displayName: string | null
  readonly handle: string
  readonly bio: string | null
  readonly location: string | null
  readonly platform: string
  readonly url: string | null
}

export type TemplateProblem =
  | { readonly _tag: "MissingValue"; readonly variable: string }
  | { readonly _tag: "UnknownVariable"; readonly variable: string }

/** The variables every profile has; a request adds its own `fields`. */
export const profileVariables = ["displayName", "firstName", "handle", "bio", "location", "platform", "url"] as const

export type Part =
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Variable"; readonly name: string; readonly fallback: string | undefined; readonly position: number }

/** Why a template cannot be used, with the 0-based position in the template where the problem starts. */
export interface TemplateError {
  readonly position: number
  readonly message: string
}

const Name = /^[A-Za-z][A-Za-z0-9_]*$/

/** Line and column (1-based) of a position, for messages a person can act on. */
const where = (template: string, position: number) => {
  const before = template.slice(0, position).split("\n")
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`
}

/**
 * Splits a template into text and `{{name}}` / `{{name|fallback}}` placeholders (spaces around the parts
 * allowed). Braces that do not make a placeholder are an error rather than text, so a message never goes out
 * with `{{` or `}}` in it; single braces are text.
 */
export const parseTemplate = (template: string): Either.Either<ReadonlyArray<Part>, TemplateError> => {
  const parts: Array<Part> = []
  let at = 0
  while (at < template.length) {
    const open = template.indexOf("{{", at)
    const close = template.indexOf("}}", at)
    if (close !== -1 && (open === -1 || close < open)) {
      return Either.left({ position: close, message: `"}}" at ${where(template, close)} closes no placeholder` })
    }
    if (open === -1) {
      parts.push({ _tag: "Text", text: template.slice(at) })
      break
    }
    if (open > at) parts.push({ _tag: "Text", text: template.slice(at, open) })
    const end = template.indexOf("}}", open + 2)
    const nested = template.indexOf("{{", open + 2)
    if (end === -1 || (nested !== -1 && nested < end)) {
      return Either.left({ position: open, message: `"{{" at ${where(template, open)} is not closed by "}}"` })
    }
    const inside = template.slice(open + 2, end)
    const bar = inside.indexOf("|")
    const name = (bar === -1 ? inside : inside.slice(0, bar)).trim()
    const fallback = bar === -1 ? undefined : inside.slice(bar + 1)
    if (!Name.test(name)) {
      return Either.left({
        position: open,
        message: `"{{${inside}}}" at ${where(template, open)} is not a placeholder: write {{name}} or {{name|fallback}}`
      })
    }
    if (fallback !== undefined && /[{}]/.test(fallback)) {
      return Either.left({ position: open, message: `The fallback of {{${name}}} at ${where(template, open)} may not contain braces` })
    }
    parts.push({ _tag: "Variable", name, fallback, position: open })
    at = end + 2
  }
  return Either.right(parts)
}

/**
 * Parses the template and checks every variable exists for a profile (or among `fields`): what a request is
 * refused for before any draft is made. A near miss in case (`{{FirstName}}`) is named.
 */
export const checkTemplate = (
  template: string,
  fields: ReadonlyArray<string>
): Either.Either<ReadonlyArray<Part>, TemplateError & { readonly known: ReadonlyArray<string> }> => {
  const known = [...profileVariables, ...fields.filter((f) => !(profileVariables as ReadonlyArray<string>).includes(f))]
  return parseTemplate(template).pipe(
    Either.mapLeft((error) => ({ ...error, known })),
    Either.flatMap((parts) => {
      const unknown = parts.find((p): p is Extract<Part, { _tag: "Variable" }> => p._tag === "Variable" && !known.includes(p.name))
      if (unknown === undefined) return Either.right(parts)
      const near = known.find((k) => k.toLowerCase() === unknown.name.toLowerCase())
      return Either.left({
        position: unknown.position,
        known,
        message: `Unknown variable {{${unknown.name}}} at ${where(template, unknown.position)}` +
          (near !== undefined ? ` (did you mean {{${near}}}?)` : "") + `; known: ${known.join(", ")}`
      })
    })
  )
}

export const describeProblem = (problem: TemplateProblem) =>
  problem._tag === "MissingValue"
    ? `no value for {{${problem.variable}}} and no fallback`
    : `unknown variable {{${problem.variable}}}`

const present = (value: string | null | undefined): value is string => value !== null && value !== undefined && value.trim() !== ""

/**
 * Fills a parsed template for one profile. A variable with no value uses its fallback; with no fallback the
 * profile is reported with the variable's name rather than sent a blank. The first problem is reported.
 */
export const renderParts = (
  parts: ReadonlyArray<Part>,
  profile: TemplateProfile,
  fields: Readonly<Record<string, string>> = {}
): Either.Either<string, TemplateProblem> => {
  const values: Record<string, string | null> = {
    displayName: profile.displayName,
    firstName: present(profile.displayName) ? profile.displayName.trim().split(/\s+/)[0]! : null,
    handle: profile.handle,
    bio: profile.bio,
    location: profile.location,
    platform: profile.platform,
    url: profile.url,
    ...fields
  }
  let text = ""
  for (const part of parts) {
    if (part._tag === "Text") {
      text += part.text
      continue
    }
    if (!Object.hasOwn(fields, part.name) && !(profileVariables as ReadonlyArray<string>).includes(part.name)) {
      return Either.left({ _tag: "UnknownVariable", variable: part.name })
    }
    const value = Object.hasOwn(values, part.name) ? values[part.name] : null
    if (present(value)) text += value.trim()
    else if (part.fallback !== undefined) text += part.fallback.trim()
    else return Either.left({ _tag: "MissingValue", variable: part.name })
  }
  return Either.right(text)
}

/** Parses and fills a template; one that does not parse is reported as its first unusable placeholder. */
export const render = (
  template: string,
  profile: TemplateProfile,
  fields: Readonly<Record<string, string>> = {}
): Either.Either<string, TemplateProblem | TemplateError> =>
  Either.flatMap(parseTemplate(template), (parts) => renderParts(parts, profile, fields))

/** Each channel's limit on one message: Bluesky counts graphemes, Mastodon characters (with the mention). */
export const channelLimit: Record<Channel, number> = { bluesky_dm: 1000, mastodon_dm: 500, webhook: 10_000 }

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" })

/** The length the channel counts, for the text it would send (Mastodon prefixes the mention). */
export const channelLength = (channel: Channel, body: string, handle: string) => {
  switch (channel) {
    case "bluesky_dm":
      return [...segmenter.segment(body)].length
    case "mastodon_dm":
      return `@${handle} ${body}`.length
    case "webhook":
      return body.length
  }
}

// Bluesky also caps a message at 10,000 bytes of UTF-8.
export const BlueskyMaxBytes = 10_000

const encoder = new TextEncoder()

/** UTF-8 length without Node's Buffer, so the review page counts exactly as the server checks. */
export const utf8Length = (text: string) => encoder.encode(text).length

export const checkLength = (channel: Channel, body: string, handle: string): Either.Either<string, string> => {
  const length = channelLength(channel, body, handle)
  if (body.trim().length === 0) return Either.left("the message is empty")
  if (channel === "bluesky_dm" && utf8Length(body) > BlueskyMaxBytes) {
    return Either.left(`the message is ${utf8Length(body)} bytes; bluesky_dm allows ${BlueskyMaxBytes}`)
  }
  return length > channelLimit[channel]
    ? Either.left(`the message is ${length} characters; ${channel} allows ${channelLimit[channel]}`)
    : Either.right(body)
}
