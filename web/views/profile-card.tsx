import { useEffect, useState } from "preact/hooks"
import type { Profile } from "../../src/Domain/Profile.js"
import { displayName, profileById } from "../profiles.js"
import { ExternalLink } from "../ui.js"
import { platformName, profileStatusName, when } from "../words.js"

/** The person behind a draft, loaded once and shared; undefined while loading or when it failed. */
export const useProfile = (id: number | undefined) => {
  const [profile, setProfile] = useState<Profile | undefined>(undefined)
  useEffect(() => {
    if (id === undefined) return
    let live = true
    profileById(id).then((p) => live && setProfile(p), () => undefined)
    return () => void (live = false)
  }, [id])
  return profile !== undefined && profile.id === id ? profile : undefined
}

const acceptsDms = (value: boolean | null) => (value === null ? "unknown" : value ? "yes" : "no")

/** What a reviewer needs to judge a message: who the person is, in their own words (as text, never HTML). */
export const ProfileCard = ({ profile }: { readonly profile: Profile }) => (
  <article class="person" aria-label={`About ${displayName(profile)}`}>
    <h2>
      <a href={`#/people/${profile.id}`}>{displayName(profile)}</a>
    </h2>
    <p class="handle">
      <ExternalLink href={profile.url}>@{profile.handle}</ExternalLink> on {platformName[profile.platform]}
    </p>
    {profile.bio !== null && profile.bio.trim().length > 0 ? (
      <p class="bio" data-testid="bio">
        {profile.bio}
      </p>
    ) : <p class="bio empty">No bio.</p>}
    <dl class="facts">
      <dt>Status</dt>
      <dd>{profileStatusName[profile.status]}</dd>
      <dt>Followers</dt>
      <dd>{profile.followersCount ?? "—"}</dd>
      {profile.location !== null && (
        <>
          <dt>Location</dt>
          <dd>{profile.location}</dd>
        </>
      )}
      {profile.platform === "bluesky" && (
        <>
          <dt>Accepts DMs</dt>
          <dd>{acceptsDms(profile.acceptsDms)}</dd>
        </>
      )}
      <dt>First seen</dt>
      <dd>{when(profile.firstSeenAt)}</dd>
    </dl>
  </article>
)

/** A person's name once loaded, their id until then (or when they no longer exist). */
export const PersonName = ({ id }: { readonly id: number }) => {
  const profile = useProfile(id)
  return <>{profile === undefined ? `Person #${id}` : displayName(profile)}</>
}
