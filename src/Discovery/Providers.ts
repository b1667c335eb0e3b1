import { Effect } from "effect"
import type { Platform } from "../Domain/Platform.js"
import { Outbound } from "../Outbound.js"
import { PlatformHttpClient } from "../PlatformClient.js"
import type { Provider } from "./Provider.js"
import { BlueskyProvider } from "./Providers/Bluesky.js"
import { GithubProvider } from "./Providers/Github.js"
import { MastodonProvider } from "./Providers/Mastodon.js"

/**
 * The platforms discovery can search, one entry each: adding a platform is its provider module and its
 * entry here (plus its name in `src/Domain/Platform.ts`, and a migration where the database checks names).
 * A platform without an entry (LinkedIn) has no people search: its people come by import.
 */
export class Providers extends Effect.Service<Providers>()("Discovery/Providers", {
  effect: Effect.gen(function*() {
    const providers: Partial<Record<Platform, Provider>> = {
      bluesky: yield* BlueskyProvider,
      mastodon: yield* MastodonProvider,
      github: yield* GithubProvider
    }
    return providers
  }),
  dependencies: [PlatformHttpClient, Outbound.Default]
}) {}
