import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { normaliseSuppression } from "../src/Suppressions/Policy.js"

const Label = Schema.String.pipe(Schema.pattern(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/))
const BlueskyHandle = Schema.Tuple(Label, Label, Schema.Literal("social", "com", "dev"))
const Did = Schema.String.pipe(Schema.pattern(/^did:plc:[a-z2-7]{24}$/))
const User = Schema.String.pipe(Schema.pattern(/^[a-z0-9_]{1,15}$/))
const Host = Schema.Tuple(Label, Schema.Literal("social", "io", "org"))
const Login = Schema.String.pipe(Schema.pattern(/^[a-z][a-z0-9]{0,15}$/))
const Mixed = Schema.Array(Schema.Boolean)

// Upper-cases the characters where `flips` says so: the same handle as a person might type it.
const recase = (text: string, flips: ReadonlyArray<boolean>) =>
  [...text].map((c, i) => (flips[i % Math.max(1, flips.length)] ? c.toUpperCase() : c)).join("")

const key = (platform: "bluesky" | "mastodon" | "github" | "linkedin", input: string) => Either.getOrThrow(normaliseSuppression(platform, input))

describe("Suppression entries", () => {
  it.prop("every way of writing a Bluesky handle gives one entry, and it is already normal", { labels: BlueskyHandle, flips: Mixed }, ({ flips, labels }) => {
    const handle = labels.join(".")
    const expected = { handle, externalId: null }
    for (const form of [handle, `@${handle}`, ` ${recase(handle, flips)} `, `@${recase(handle, flips)}`, `https://bsky.app/profile/${handle}`]) {
      expect(key("bluesky", form)).toEqual(expected)
    }
    expect(key("bluesky", key("bluesky", handle).handle)).toEqual(expected)
  })

  it.prop("a DID is the stable id, whatever its case or an @ before it", { did: Did, flips: Mixed }, ({ did, flips }) => {
    for (const form of [did, `@${did}`, recase(did, flips), `https://bsky.app/profile/${did}`]) {
      expect(key("bluesky", form)).toEqual({ handle: did, externalId: did })
    }
  })

  it.prop("Mastodon: user@host, @user@host, any case, or the profile URL", { user: User, labels: Host, flips: Mixed }, ({ flips, labels, user }) => {
    const host = labels.join(".")
    const acct = `${user}@${host}`
    for (const form of [acct, `@${acct}`, recase(`@${acct}`, flips), `https://${host}/@${user}`, `https://${host}/users/${user}`]) {
      expect(key("mastodon", form)).toEqual({ handle: acct, externalId: acct })
    }
  })

  it.prop("GitHub: a login with or without @ in any case, or the profile URL; a numeric id is the stable id", { login: Login, id: Schema.Int.pipe(Schema.between(1, 2 ** 31)), flips: Mixed }, ({ flips, id, login }) => {
    for (const form of [login, `@${login}`, recase(login, flips), `https://github.com/${recase(login, flips)}`]) {
      expect(key("github", form)).toEqual({ handle: login, externalId: null })
    }
    expect(key("github", String(id))).toEqual({ handle: String(id), externalId: String(id) })
  })

  it.prop("normalising an entry's handle again gives the same entry", {
    platform: Schema.Literal("bluesky", "mastodon", "github", "linkedin"),
    input: Schema.String.pipe(Schema.maxLength(60))
  }, ({ input, platform }) => {
    const first = normaliseSuppression(platform, input)
    if (Either.isRight(first)) expect(normaliseSuppression(platform, first.right.handle)).toEqual(first)
  })

  it("LinkedIn by URL or name; text that names nobody is refused with the accepted forms", () => {
    expect(key("linkedin", "https://www.linkedin.com/in/Ada-Lovelace/")).toEqual({
      handle: "ada-lovelace",
      externalId: "https://www.linkedin.com/in/ada-lovelace"
    })
    // A slug pasted percent-encoded is the same person as its URL form.
    expect(key("linkedin", "jos%C3%A9-garc%C3%ADa")).toEqual(key("linkedin", "https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa"))
    expect(key("linkedin", "jos%C3%A9-garc%C3%ADa")).toEqual(key("linkedin", "José-García"))
    expect(normaliseSuppression("mastodon", "@alone")).toEqual(Either.left(expect.stringContaining("user@host")))
    expect(Either.isLeft(normaliseSuppression("bluesky", "https://example.com/somebody"))).toBe(true)
    expect(Either.isLeft(normaliseSuppression("github", "not a login"))).toBe(true)
  })
})
