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

// {{name}} or {{name|fallback}}; spaces around the parts are allowed.
const Placeholder = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\|([^}]*))?\}\}/g

const profileVariables = ["displayName", "firstName", "handle", "bio", "location", "platform", "url"] as const

export const describeProblem = (problem: TemplateProblem) =>
  problem._tag === "MissingValue"
    ? `no value for {{${problem.variable}}} and no fallback`
    : `unknown variable {{${problem.variable}}}`

const present = (value: string | null | undefined): value is string => value !== null && value !== undefined && value.trim() !== ""

/**
 * Fills a template for one profile. A variable with no value uses its fallback; with no fallback the
 * profile is reported with the variable's name rather than sent a blank. The first problem is reported.
 */
export const render = (
  template: string,
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
  let problem: TemplateProblem | undefined
  const text = template.replace(Placeholder, (_, name: string, fallback: string | undefined) => {
    if (!Object.hasOwn(fields, name) && !(profileVariables as ReadonlyArray<string>).includes(name)) {
      problem ??= { _tag: "UnknownVariable", variable: name }
      return ""
    }
    const value = Object.hasOwn(values, name) ? values[name] : null
    if (present(value)) return value.trim()
    if (fallback !== undefined) return fallback.trim()
    problem ??= { _tag: "MissingValue", variable: name }
    return ""
  })
  return problem === undefined ? Either.right(text) : Either.left(problem)
}

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
