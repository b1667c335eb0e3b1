import type { Effect } from "effect"
import type { ProfileInput } from "../Domain/Profile.js"
import type { ProviderError } from "../PlatformClient.js"

/** Where the next page starts; each provider keeps its own shape, stored with the job between pages. */
export type PageState = Readonly<Record<string, unknown>>

export interface DiscoveryPage {
  readonly profiles: ReadonlyArray<ProfileInput>
  /** `null` when the platform has nothing more for this search. */
  readonly next: PageState | null
  /** Set when the platform's remaining quota is spent: save this page, then wait until then. */
  readonly pauseUntil?: Date | undefined
}

/** One platform's people search, a page at a time, resumable from any saved state. */
export interface Provider {
  readonly page: (
    filters: unknown,
    state: PageState,
    wanted: number
  ) => Effect.Effect<DiscoveryPage, ProviderError>
}
