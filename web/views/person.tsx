import { useEffect, useState } from "preact/hooks"
import type { Profile, ProfileId } from "../../src/Domain/Profile.js"
import { api } from "../api.js"
import { remember } from "../profiles.js"
import { Busy, ProblemNote, useAction, useLoad } from "../ui.js"
import { channelName, draftStatusName, platformName, when } from "../words.js"
import { ProfileCard } from "./profile-card.js"

/** One person: who they are, what was drafted for them, and the decisions only a human can record. */
export const Person = ({ id }: { readonly id: number }) => {
  const profileId = id as ProfileId
  const loaded = useLoad(() => api((c) => c.profiles.get({ path: { id: profileId } })), [id])
  const [profile, setProfile] = useState<Profile | undefined>(undefined)
  useEffect(() => setProfile(loaded.data), [loaded.data])
  const drafts = useLoad(() => api((c) => c.drafts.list({ urlParams: { profileId, limit: 100 } })), [id])
  const action = useAction()
  const [reason, setReason] = useState("")

  const update = (next: Profile) => {
    remember(next)
    setProfile(next)
    drafts.reload()
  }

  if (profile === undefined) {
    return loaded.problem !== null ? <ProblemNote problem={loaded.problem} /> : <Busy>Loading the person…</Busy>
  }
  const optedOut = profile.status === "opted_out"
  return (
    <div class="person-page">
      <p>
        <a href="#/people">← People</a>
      </p>
      <ProfileCard profile={profile} />
      <p class="meta">
        Found on {platformName[profile.platform]}; first seen {when(profile.firstSeenAt)}, last seen {when(profile.lastSeenAt)}. Their id
        there: <span class="handle">{profile.externalId}</span>
      </p>

      <section aria-labelledby="decisions">
        <h2 id="decisions">What they said</h2>
        <div class="inline-fields">
          <label class="field">
            <span>Opt-out reason (optional)</span>
            <input value={reason} maxLength={1000} onInput={(e) => setReason(e.currentTarget.value)} disabled={optedOut} />
          </label>
          <button
            type="button"
            disabled={optedOut || action.busy}
            onClick={() =>
              void action.run(async () =>
                update(await api((c) => c.profiles.optOut({ path: { id: profileId }, payload: reason.trim() ? { reason: reason.trim() } : {} })))
              )}
          >
            {optedOut ? "Opted out" : "They asked not to be contacted (opt out)"}
          </button>
          <button
            type="button"
            disabled={profile.status === "replied" || action.busy}
            onClick={() => void action.run(async () => update(await api((c) => c.profiles.replied({ path: { id: profileId } }))))}
          >
            {profile.status === "replied" ? "Replied" : "They replied"}
          </button>
        </div>
        <p class="hint">
          An opt-out puts them on the suppression list and withdraws their open drafts. A reply stops anything more from being sent.
        </p>
        <ProblemNote problem={action.problem} />
      </section>

      <section aria-labelledby="their-drafts">
        <h2 id="their-drafts">Drafts</h2>
        <ProblemNote problem={drafts.problem} />
        {drafts.data === undefined ? <Busy>Loading drafts…</Busy> : drafts.data.items.length === 0 ? (
          <p class="empty">Nothing drafted for them yet.</p>
        ) : (
          <ul class="drafts">
            {drafts.data.items.map((d) => (
              <li>
                <p class="meta">
                  Draft {d.id} · {channelName[d.channel]} · <span class={`chip s-${d.status}`}>{draftStatusName[d.status]}</span> · written{" "}
                  {when(d.createdAt)}
                  {d.status === "sent" && (
                    <>
                      {" "}
                      · <a href="#/outbox">see the Outbox</a>
                    </>
                  )}
                </p>
                <p class="body">{d.body}</p>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  )
}
