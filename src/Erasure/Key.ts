import { Effect, Option, Redacted } from "effect"
import { createHmac, randomBytes } from "node:crypto"
import { readFileSync, writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { AppConfig } from "../Config.js"
import type { Platform } from "../Domain/Platform.js"
import { SuppressionKeyMissing } from "../Domain/Erasure.js"
import { hashedEntry, hashInput } from "./Policy.js"

/** The key erased people's identifiers are hashed with: its id (safe to store) and the hash it makes. */
export interface Keyed {
  readonly id: string
  /** `hmac:<key id>:<HMAC-SHA256 of platform and identifier, hex>` */
  readonly hash: (platform: Platform, identifier: string) => string
}

const keyed = (secret: Redacted.Redacted<string>): Keyed => {
  const hmac = (text: string) => createHmac("sha256", Redacted.value(secret)).update(text).digest("hex")
  const id = hmac("social-outreach/suppression-key-id").slice(0, 8)
  return { id, hash: (platform, identifier) => hashedEntry(id, hmac(hashInput(platform, identifier))) }
}

/** Beside the embedded database's directory, not in it: a copy of the data alone does not carry the key. */
export const keyFileOf = (dataDir: string) => `${resolve(dataDir)}.suppression-key`

const readKey = (file: string): Option.Option<Redacted.Redacted<string>> => {
  try {
    const text = readFileSync(file, "utf8").trim()
    return text.length >= 16 ? Option.some(Redacted.make(text)) : Option.none()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return Option.none()
    throw error
  }
}

/**
 * `SUPPRESSION_KEY`, or on the embedded database (no `DATABASE_URL`) a key generated at the first erasure
 * and kept in a file beside the data directory, so `npm start` needs no setting. With `DATABASE_URL` and no
 * key there is none: erasure is refused naming the setting. The key is never logged.
 */
export class SuppressionKey extends Effect.Service<SuppressionKey>()("Erasure/Key", {
  effect: Effect.gen(function*() {
    const config = yield* AppConfig
    const file = Option.isNone(config.databaseUrl) ? keyFileOf(config.pgliteDataDir) : undefined
    let cached: Keyed | undefined = Option.getOrUndefined(Option.map(config.suppressionKey, keyed))

    const fileFailed = (what: string) => (error: unknown) =>
      new SuppressionKeyMissing({
        message: `The suppression key file ${file} could not be ${what} (${(error as NodeJS.ErrnoException).code ?? String(error)})`
      })

    /** The key, if there is one yet. */
    const current = Effect.try({
      try: (): Option.Option<Keyed> => {
        if (cached === undefined && file !== undefined) cached = Option.getOrUndefined(Option.map(readKey(file), keyed))
        return Option.fromNullable(cached)
      },
      catch: fileFailed("read")
    })

    /** The key, generated now on the embedded database if there is none yet. */
    const orCreate = Effect.gen(function*() {
      const existing = yield* current
      if (Option.isSome(existing)) return existing.value
      if (file === undefined) {
        return yield* new SuppressionKeyMissing({
          message: "Erasure needs SUPPRESSION_KEY: set it (at least 16 random characters; Render generates it) and keep it " +
            "unchanged, since erased people are recognised only by identifiers hashed with it"
        })
      }
      yield* Effect.try({
        try: () => {
          try {
            writeFileSync(file, randomBytes(32).toString("base64url") + "\n", { flag: "wx", mode: 0o600 })
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
          }
        },
        catch: fileFailed("written")
      })
      yield* Effect.logInfo(`Generated the suppression key for erasures in ${file}; keep it with the data`)
      return Option.getOrThrow(yield* current)
    })

    return { current, orCreate } as const
  })
}) {}
