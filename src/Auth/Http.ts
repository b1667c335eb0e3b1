import { Effect, Layer, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { AnonymousActor, AppConfig } from "../Config.js"
import { Unauthorized } from "../Domain/Server.js"
import { Authorization } from "./Api.js"

// Hashing first gives equal lengths, so each comparison takes the same time whatever the token.
const digest = (value: string) => createHash("sha256").update(value).digest()

export const AuthorizationLive = Layer.effect(
  Authorization,
  Effect.gen(function*() {
    const { tokenHolders } = yield* AppConfig
    if (tokenHolders.length === 0) return { bearer: () => Effect.succeed({ name: AnonymousActor }) }
    const expected = tokenHolders.map((holder) => ({ name: holder.name, digest: digest(Redacted.value(holder.token)) }))
    return {
      bearer: (token) => {
        const given = Redacted.value(token)
        if (given.length === 0) {
          return Effect.fail(new Unauthorized({ message: "Missing bearer token: send Authorization: Bearer <your API token>" }))
        }
        const hashed = digest(given)
        // Every configured token is compared, with no early exit: the time taken says nothing about which matched.
        let matched: string | undefined
        for (const candidate of expected) {
          const equal = timingSafeEqual(hashed, candidate.digest)
          matched = equal ? candidate.name : matched
        }
        return matched === undefined
          ? Effect.fail(new Unauthorized({ message: "Invalid bearer token" }))
          : Effect.succeed({ name: matched })
      }
    }
  })
)
