import { useEffect, useState } from "preact/hooks"
import type { Profile, ProfileId } from "../../src/Domain/Profile.js"
import { api } from "../api.js"
import { remember } from "../profiles.js"
import { Busy, ProblemNote, useAction, useInterval, useLoad } from "../ui.js"
import { channelName, draftStatusName, platformName, when } from "../words.js"
import { MessageItem } from "./outbox.js"
import { ProfileCard } from "./profile-card.js"

/** Where the person came from: the job that first found them (linked), or an import. */
const Provenance = ({ profile }: { readonly profile: Profile }) => (
  <p class="meta" data-testid="provenance">
    {profile.source === "import" ? (
      <>Imported from a file (on {platformName[profile.platform]}).</>
    ) : profile.discoveryJobId !== null ? (
      <>
        Found on {platformName[profile.platform]} by <a href={`#/find/${profile.discoveryJobId}`}>discovery job {profile.discoveryJobId}</a>.
      </>
    ) : (
      <>Found on {platformName[profile.platform]} by a discovery job that has since been deleted.</>
    )}{" "}
    First seen {when(profile.firstSeenAt)}, last seen {when(profile.lastSeenAt)}. Their id there: <span class="handle">{profile.externalId}</span>
  </p>
)

/** One person: who they are, where they came from, what was drafted and sent to them, and the decisions only a human can record. */
export const Person = ({ id }: { readonly id: number }) => {
  const profileId = id as ProfileId
  const loaded = useLoad(() => api((c) => c.profiles.get({ path: { id: profileId } })), [id])
  const [profile, setProfile] = useState<Profile | undefined>(undefined)
  useEffect(() => setProfile(loaded.data), [loaded.data])
  const drafts = useLoad(() => api((c) => c.drafts.list({ urlParams: { profileId, limit: 100 } })), [id])
  const messages = useLoad(() => api((c) => c.messages.list({ urlParams: { profileId, limit: 100 } })), [id])
  const action = useAction()
  const [reason, setReason] = useState("")
  const [notice, setNotice] = useState("")
  const moving = (messages.data?.items ?? []).some((m) => m.status === "queued" || m.status === "sending")
  useInterval(messages.reload, 2000, moving && !messages.loading)

  const update = (next: Profile, said: string) => {
    remember(next)
    setProfile(next)
    setNotice(said)
    drafts.reload()
    messages.reload()
  }

  if (profile === undefined) {
    return loaded.problem !== null ? <ProblemNote problem={loaded.problem} /> : <Busy>Loading the person…</Busy>
  }
  const optedOut = profile.status === "opted_out"
  const archived = profile.status === "archived"
  return (
    <div class="person-page">
      <p>
        <a href="#/people">← People</a>
      </p>
      <ProfileCard profile={profile} />
      <Provenance profile={profile} />

      <section aria-labelledby="decisions">
        <h2 id="decisions">What they said, what you decided</h2>
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
                update(
                  await api((c) => c.profiles.optOut({ path: { id: profileId }, payload: reason.trim() ? { reason: reason.trim() } : {} })),
                  "Opted out: they are on the suppression list and their open drafts are withdrawn."
                )
              )}
          >
            {optedOut ? "Opted out" : "They asked not to be contacted (opt out)"}
          </button>
          <button
            type="button"
            disabled={profile.status === "replied" || action.busy}
            onClick={() =>
              void action.run(async () =>
                update(await api((c) => c.profiles.replied({ path: { id: profileId } })), "Recorded their reply: nothing more goes to them.")
              )}
          >
            {profile.status === "replied" ? "Replied" : "They replied"}
          </button>
          <button
            type="button"
            disabled={archived || action.busy}
            onClick={() =>
              void action.run(async () =>
                update(
                  await api((c) => c.profiles.archive({ path: { id: profileId } })),
                  "Archived: they are out of the People list (the status filter still finds them) and their open drafts are withdrawn."
                )
              )}
          >
            {archived ? "Archived" : "Archive"}
          </button>
        </div>
        <p class="hint">
          An opt-out puts them on the suppression list and withdraws their open drafts. A reply stops anything more from being sent. Archiving takes
          them out of the list and of new drafts, and withdraws their open drafts; their messages stay.
        </p>
        <p class="sr-status" role="status" aria-live="polite">
          {notice}
        </p>
        <ProblemNote problem={action.problem} />
      </section>

      <section aria-labelledby="their-messages">
        <h2 id="their-messages">Messages</h2>
        <ProblemNote problem={messages.problem} />
        {messages.data === undefined ? messages.problem === null && <Busy>Loading messages…</Busy> : messages.data.items.length === 0 ? (
          <p class="empty">Nothing sent to them.</p>
        ) : (
          <ul class="messages">
            {messages.data.items.map((m) => (
              <MessageItem
                key={m.id}
                message={m}
                withPerson={false}
                onDone={(text) => {
                  setNotice(text)
                  messages.reload()
                  drafts.reload()
                }}
              />
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="their-drafts">
        <h2 id="their-drafts">Drafts</h2>
        <ProblemNote problem={drafts.problem} />
        {drafts.data === undefined ? drafts.problem === null && <Busy>Loading drafts…</Busy> : drafts.data.items.length === 0 ? (
          <p class="empty">Nothing drafted for them yet.</p>
        ) : (
          <ul class="drafts">
            {drafts.data.items.map((d) => (
              <li>
                <p class="meta">
                  Draft {d.id} · {channelName[d.channel]} · <span class={`chip s-${d.status}`}>{draftStatusName[d.status]}</span> · written{" "}
                  {when(d.createdAt)}
                  {d.rejectedReason !== null && <> · {d.rejectedReason}</>}
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
