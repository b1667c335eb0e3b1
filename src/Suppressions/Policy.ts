import { Either } from "effect"
import type { Platform } from "../Domain/Platform.js"

/**
 * What a person pastes into the do-not-contact list, made into what profiles are matched on: a handle (any
 * case, with or without `@`), the platform's stable id (a Bluesky DID, a GitHub user id, a LinkedIn profile
 * URL), or a profile URL that holds either.
 */
export interface SuppressionKey {
  /** Lower case, no leading `@`; matched against profile handles without regard to case. */
  readonly handle: string
  /** The platform's stable id when the entry names one; matched against profiles' external ids. */
  readonly externalId: string | null
}

const BlueskyHandle = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)+$/
const Did = /^did:(plc:[a-z2-7]{24}|web:[a-z0-9.%:-]+|[a-z0-9]+:[A-Za-z0-9._:%-]+)$/
const MastodonAcct = /^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?@[a-z0-9-]+(\.[a-z0-9-]+)+$/
const GithubLogin = /^[a-z0-9]([a-z0-9-]{0,38})$/
const LinkedinSlug = /^[^\s/?#]{1,200}$/

const examples: Record<Platform, string> = {
  bluesky: "name.bsky.social, @name.bsky.social, did:plc:… or https://bsky.app/profile/…",
  mastodon: "user@host, @user@host or https://host/@user",
  github: "a login (@octocat), a numeric user id, or https://github.com/octocat",
  linkedin: "https://www.linkedin.com/in/name or the name in that URL"
}

const refuse = (platform: Platform, input: string) =>
  Either.left(`"${input.slice(0, 100)}" is not a ${platform} handle; expected ${examples[platform]}`)

const decoded = (text: string) => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The part of a profile URL that names the person, if `input` is such a URL for `platform`. */
const fromUrl = (platform: Platform, url: URL): string | undefined => {
  const host = url.hostname.toLowerCase().replace(/^www\./, "")
  const parts = url.pathname.split("/").filter((p) => p.length > 0).map(decoded)
  switch (platform) {
    case "bluesky":
      return host === "bsky.app" && parts[0] === "profile" && parts[1] !== undefined ? parts[1] : undefined
    case "mastodon":
      // https://host/@user, or https://host/@user@otherhost for a remote account seen from this instance
      if (parts[0]?.startsWith("@")) return parts[0].includes("@", 1) ? parts[0] : `${parts[0]}@${host}`
      if (parts[0] === "users" && parts[1] !== undefined) return `${parts[1]}@${host}`
      return undefined
    case "github":
      return host === "github.com" && parts.length === 1 ? parts[0] : undefined
    case "linkedin":
      return host.endsWith("linkedin.com") && parts[0] === "in" && parts[1] !== undefined ? parts[1] : undefined
  }
}

/**
 * The entry an opt-out leaves for a profile we hold: its handle as the list keeps handles, and its stable id.
 */
export const entryForProfile = (profile: { readonly platform: Platform; readonly handle: string; readonly externalId: string }): SuppressionKey => ({
  handle: Either.match(normaliseSuppression(profile.platform, profile.handle), { onLeft: () => profile.handle, onRight: (entry) => entry.handle }),
  externalId: profile.externalId
})

/**
 * The entry for what was typed, or why it names nobody. Idempotent: a normalised handle normalises to itself,
 * so entries stored by an earlier normalisation keep matching.
 */
export const normaliseSuppression = (platform: Platform, raw: string): Either.Either<SuppressionKey, string> => {
  const input = raw.trim()
  let text = input
  if (/^https?:\/\//i.test(input)) {
    let url: URL
    try {
      url = new URL(input)
    } catch {
      return refuse(platform, input)
    }
    const named = fromUrl(platform, url)
    if (named === undefined) return refuse(platform, input)
    text = named
  }
  switch (platform) {
    case "bluesky": {
      const value = text.replace(/^@/, "")
      const did = /^did:([a-z0-9]+):(.+)$/i.exec(value)
      if (did !== null) {
        // Method names are lower case; plc identifiers are lower-case base32 and did:web names a host.
        const method = did[1]!.toLowerCase()
        const id = `did:${method}:${method === "plc" || method === "web" ? did[2]!.toLowerCase() : did[2]}`
        return Did.test(id) ? Either.right({ handle: id, externalId: id }) : refuse(platform, input)
      }
      const handle = value.toLowerCase()
      return BlueskyHandle.test(handle) ? Either.right({ handle, externalId: null }) : refuse(platform, input)
    }
    case "mastodon": {
      const acct = text.replace(/^@/, "").toLowerCase()
      // Mastodon's ids are per instance: the full user@host is the one name that means one person everywhere.
      return MastodonAcct.test(acct) ? Either.right({ handle: acct, externalId: acct }) : refuse(platform, input)
    }
    case "github": {
      const login = text.replace(/^@/, "").toLowerCase()
      if (/^\d{1,20}$/.test(login)) return Either.right({ handle: login, externalId: login })
      return GithubLogin.test(login) && !login.endsWith("-") && !login.includes("--")
        ? Either.right({ handle: login, externalId: null })
        : refuse(platform, input)
    }
    case "linkedin": {
      // As the URL form is read: a slug pasted percent-encoded is the same person.
      const slug = decoded(text.replace(/^@/, "")).toLowerCase()
      return LinkedinSlug.test(slug)
        ? Either.right({ handle: slug, externalId: `https://www.linkedin.com/in/${slug}` })
        : refuse(platform, input)
    }
  }
}
