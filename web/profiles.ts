import type { Profile, ProfileId } from "../src/Domain/Profile.js"
import { api } from "./api.js"
import { createStore } from "./store.js"

// Profiles asked for by id, shared by the screens; a failed load is asked again next time.
const cache = new Map<number, Promise<Profile>>()

export const profileById = (id: number): Promise<Profile> => {
  const known = cache.get(id)
  if (known !== undefined) return known
  const loading = api((c) => c.profiles.get({ path: { id: id as ProfileId } }))
  cache.set(id, loading)
  loading.catch(() => cache.delete(id))
  return loading
}

/** A profile changed by an action (opt-out, reply): later reads see the new one. */
export const remember = (profile: Profile) => void cache.set(profile.id, Promise.resolve(profile))

/** People chosen on the People screen, to write to on the Write screen. */
export const selection = createStore<ReadonlySet<number>>(new Set())

export const displayName = (profile: Pick<Profile, "displayName" | "handle">) =>
  profile.displayName !== null && profile.displayName.trim().length > 0 ? profile.displayName : profile.handle
