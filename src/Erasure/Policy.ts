import { Either } from "effect"
import type { Platform } from "../Domain/Platform.js"
import { normaliseSuppression } from "../Suppressions/Policy.js"

/**
 * What is left of an erased person: a profile row that holds no data of theirs (its messages still count
 * towards the caps), and their identifiers on the suppression list only as keyed hashes.
 */

export const ErasedHandle = "[erased]"
export const ErasedText = "[erased]"

const HashedPrefix = "hmac:"

/** A suppression entry made by an erasure: `hmac:<key id>:<hex>`, never a handle anyone has. */
export const hashedEntry = (keyId: string, hex: string) => `${HashedPrefix}${keyId}:${hex}`
/** The prefix of every entry hashed with the key whose id is `keyId`. */
export const hashedPrefixOf = (keyId: string) => `${HashedPrefix}${keyId}:`

/**
 * The forms a person's identifiers are hashed in: the handle and the platform's stable id, each as the
 * suppression list normalises it (so `@Ada.bsky.social` and `ada.bsky.social` are one), or lower-cased when
 * the list would not take it. The same person imported or found again gives the same forms.
 */
export const identifiersOf = (platform: Platform, handle: string, externalId: string): ReadonlyArray<string> => {
  const forms = new Set<string>()
  for (const value of [handle, externalId]) {
    Either.match(normaliseSuppression(platform, value), {
      onLeft: () => forms.add(value.trim().toLowerCase()),
      onRight: (key) => {
        forms.add(key.handle)
        if (key.externalId !== null) forms.add(key.externalId)
      }
    })
  }
  return [...forms].filter((form) => form.length > 0)
}

/** What the HMAC is taken of: the platform and one identifier, so equal text on two platforms differs. */
export const hashInput = (platform: Platform, identifier: string) => `${platform}\n${identifier}`
