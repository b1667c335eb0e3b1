import { Effect, Layer, Option, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { AppConfig } from "../Config.js"
import { Unauthorized } from "../Domain/Server.js"
import { Authorization } from "./Api.js"

// Hashing first gives equal lengths, so the comparison takes the same time whatever the token.
const digest = (value: string) => createHash("sha256").update(value).digest()

export const AuthorizationLive = Layer.effect(
  Authorization,
  Effect.gen(function*() {
    const { apiToken } = yield* AppConfig
    if (Option.isNone(apiToken)) return { bearer: () => Effect.void }
    const expected = digest(Redacted.value(apiToken.value))
    return {
      bearer: (token) => {
        const given = Redacted.value(token)
        if (given.length === 0) {
          return Effect.fail(new Unauthorized({ message: "Missing bearer token: send Authorization: Bearer <API_TOKEN>" }))
        }
        return timingSafeEqual(digest(given), expected)
          ? Effect.void
          : Effect.fail(new Unauthorized({ message: "Invalid bearer token" }))
      }
    }
  })
)
