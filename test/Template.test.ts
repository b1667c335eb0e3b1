import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc, Schema } from "effect"
import { channelLength, checkLength, checkTemplate, parseTemplate, render, type TemplateProfile } from "../src/Drafts/Template.js"

const Profile = Schema.Struct({
  displayName: Schema.NullOr(Schema.String),
  handle: Schema.String.pipe(Schema.pattern(/^[a-z0-9][a-z0-9.-]{0,30}$/)),
  bio: Schema.NullOr(Schema.String),
  location: Schema.NullOr(Schema.String),
  platform: Schema.Literal("bluesky", "mastodon", "github", "linkedin"),
  url: Schema.NullOr(Schema.String)
})

// Text that contains no placeholder, and no brace that would join one ("{{{x}}}" is refused as ambiguous).
const Plain = Schema.String.pipe(Schema.filter((s) => !s.includes("{{") && !s.includes("}}")))
const Before = Plain.pipe(Schema.filter((s) => !s.endsWith("{")))
const After = Plain.pipe(Schema.filter((s) => !s.startsWith("}")))
const Fallback = Schema.String.pipe(Schema.filter((s) => !/[{}]/.test(s) && s.trim().length > 0))

// Template pieces: text with single braces at most, and placeholders as people write them.
const Piece = Schema.Union(
  Schema.String.pipe(Schema.filter((s) => !s.includes("{{") && !s.includes("}}") && !s.endsWith("{") && !s.startsWith("}"))),
  Schema.Struct({
    name: Schema.Literal("displayName", "firstName", "handle", "bio", "location", "platform", "url"),
    fallback: Schema.optional(Schema.String.pipe(Schema.filter((s) => !/[{}]/.test(s)))),
    space: Schema.Boolean
  })
)
const Braceless = Schema.String.pipe(Schema.filter((s) => !/[{}]/.test(s) && s.trim().length > 0))
const FilledProfile = Schema.Struct({
  displayName: Braceless,
  handle: Braceless,
  bio: Braceless,
  location: Braceless,
  platform: Schema.Literal("bluesky", "mastodon", "github", "linkedin"),
  url: Braceless
})

describe("Templates", () => {
  it.prop(
    "a template that parses renders without {{ or }}",
    { pieces: Schema.Array(Piece), profile: FilledProfile },
    ({ pieces, profile }) => {
      const template = pieces.map((p) =>
        typeof p === "string" ? p : `{{${p.space ? " " : ""}${p.name}${p.fallback !== undefined ? `|${p.fallback}` : ""}}}`
      ).join("")
      const parsed = parseTemplate(template)
      if (Either.isLeft(parsed)) return
      const text = render(template, profile as TemplateProfile)
      expect(Either.isRight(text)).toBe(true)
      expect(Either.getOrThrow(text)).not.toMatch(/\{\{|\}\}/)
    }
  )

  it.prop("any text: either it parses, or the error points into it", { text: Schema.String }, ({ text }) => {
    Either.match(parseTemplate(text), {
      onLeft: (error) => {
        expect(error.position).toBeGreaterThanOrEqual(0)
        expect(error.position).toBeLessThan(text.length)
        expect(text.slice(error.position, error.position + 2)).toMatch(/\{\{|\}\}/)
      },
      onRight: (parts) => expect(parts.filter((p) => p._tag === "Text").some((p) => /\{\{|\}\}/.test(p.text))).toBe(false)
    })
  })

  it("braces that make no placeholder, and variables no profile has, are named with their position", () => {
    expect(parseTemplate("Hi {{firstName, {{ handle }} {{}} }}")).toEqual(Either.left({ position: 3, message: expect.stringContaining("line 1, column 4") }))
    expect(parseTemplate("Hi }} there")).toEqual(Either.left({ position: 3, message: expect.stringContaining("closes no placeholder") }))
    expect(parseTemplate("Hi {{name")).toEqual(Either.left({ position: 3, message: expect.stringContaining("not closed") }))
    expect(parseTemplate("{{x|{y}}")).toMatchObject({ left: { position: 0 } })
    const unknown = checkTemplate("Hello\n{{FirstName}}", [])
    expect(unknown).toMatchObject({ left: { position: 6, known: expect.arrayContaining(["firstName", "bio"]) } })
    expect(Either.isLeft(unknown) && unknown.left.message).toContain("line 2, column 1 (did you mean {{firstName}}?)")
    expect(Either.isRight(checkTemplate("{{topic}} {{ handle | you }}", ["topic"]))).toBe(true)
  })


  it.prop("text without placeholders is sent as written", { profile: Profile, text: Plain }, ({ profile, text }) => {
    expect(render(text, profile as TemplateProfile)).toEqual(Either.right(text))
  })

  it.prop("{{handle}} is always the handle", { profile: Profile, before: Before, after: After }, ({ after, before, profile }) => {
    expect(render(`${before}{{ handle }}${after}`, profile as TemplateProfile)).toEqual(Either.right(`${before}${profile.handle}${after}`))
  })

  it.prop(
    "a variable without a value uses its fallback, and without one names the variable instead of sending a blank",
    { profile: Profile, fallback: Fallback },
    ({ fallback, profile }) => {
      const empty = { ...profile, displayName: null, bio: "   " } as TemplateProfile
      expect(render("Hi {{firstName|" + fallback + "}}!", empty)).toEqual(Either.right(`Hi ${fallback.trim()}!`))
      expect(render("About {{bio}}", empty)).toEqual(Either.left({ _tag: "MissingValue", variable: "bio" }))
    }
  )

  it("first name, custom fields, unknown variables", () => {
    const ada: TemplateProfile = { displayName: "  Ada King Lovelace ", handle: "ada", bio: null, location: "London", platform: "bluesky", url: null }
    expect(render("Hi {{firstName}} from {{location}}, re {{topic}}", ada, { topic: "engines" })).toEqual(
      Either.right("Hi Ada from London, re engines")
    )
    expect(render("{{company}}", ada)).toEqual(Either.left({ _tag: "UnknownVariable", variable: "company" }))
    expect(render("{{topic|}}ok", ada, { topic: "" })).toEqual(Either.right("ok"))
  })

  it.prop("Bluesky counts graphemes, and bytes: up to 1,000 accented letters fit, 1,001 do not", [fc.integer({ min: 1, max: 1001 })], ([n]) => {
    const text = "e\u0301".repeat(n)
    expect(channelLength("bluesky_dm", text, "x")).toBe(n)
    expect(Either.isRight(checkLength("bluesky_dm", text, "x"))).toBe(n <= 1000)
  })

  it("Bluesky's 10,000-byte cap applies even under 1,000 graphemes", () => {
    const text = "👩‍💻".repeat(1000)
    expect(checkLength("bluesky_dm", text, "x")).toEqual(Either.left("the message is 11000 bytes; bluesky_dm allows 10000"))
  })

  it("a variable named like an object property is just unknown", () => {
    const p: TemplateProfile = { displayName: null, handle: "h", bio: null, location: null, platform: "github", url: null }
    expect(render("{{constructor}} {{toString}}", p)).toEqual(Either.left({ _tag: "UnknownVariable", variable: "constructor" }))
  })

  it("limits per channel, with Mastodon counting the mention", () => {
    expect(checkLength("bluesky_dm", "a".repeat(1001), "x")).toEqual(Either.left("the message is 1001 characters; bluesky_dm allows 1000"))
    const handle = "someone@example.social"
    const fits = "a".repeat(500 - handle.length - 2)
    expect(Either.isRight(checkLength("mastodon_dm", fits, handle))).toBe(true)
    expect(Either.isLeft(checkLength("mastodon_dm", fits + "a", handle))).toBe(true)
    expect(checkLength("webhook", "   ", "x")).toEqual(Either.left("the message is empty"))
  })
})
