import { Either } from "effect"
import { useRef, useState } from "preact/hooks"
import { Channel, type Draft, MaxDraftsPerRequest, type SkipReason } from "../../src/Domain/Draft.js"
import type { ChannelStatus } from "../../src/Domain/Message.js"
import { Platform } from "../../src/Domain/Platform.js"
import { type Profile, type ProfileId, ProfileStatus } from "../../src/Domain/Profile.js"
import { describeProblem, render } from "../../src/Drafts/Template.js"
import { api } from "../api.js"
import { LengthCounter } from "../counter.js"
import { displayName, profileById, selection } from "../profiles.js"
import { useStore } from "../store.js"
import { Any, Busy, Choice, optionsOf, ProblemNote, useAction, useLoad } from "../ui.js"
import { PersonName } from "./profile-card.js"
import { channelName, channelShortName, notConfiguredWords, platformName, plural, profileStatusName, skipReasonName } from "../words.js"

const variables = ["firstName", "displayName", "handle", "bio", "location", "platform", "url"] as const

const channelReach: Record<Channel, string> = {
  bluesky_dm: "Reaches Bluesky people who accept messages; people imported without their DID cannot get one.",
  mastodon_dm: "A direct status that mentions the person, from the configured account; reaches Mastodon people.",
  webhook: "Posts each message to WEBHOOK_URL for your own tool to deliver; any platform."
}

interface Field {
  readonly name: string
  readonly value: string
}

interface Report {
  readonly created: ReadonlyArray<Draft>
  readonly skipped: ReadonlyArray<{ readonly profileId: number; readonly reason: SkipReason; readonly detail: string }>
}

const fieldsRecord = (fields: ReadonlyArray<Field>) =>
  Object.fromEntries(fields.filter((f) => f.name.trim().length > 0).map((f) => [f.name.trim(), f.value]))

/**
 * A template with its variables at hand, previewed for a real person with the server's own renderer and
 * the channel's counter, then drafts for the selected people or everyone matching a filter.
 */
export const Write = () => {
  const chosen = useStore(selection)
  const [channel, setChannel] = useState<Channel>("bluesky_dm")
  const [template, setTemplate] = useState("Hi {{firstName|there}}, ")
  const [fields, setFields] = useState<ReadonlyArray<Field>>([])
  const [audience, setAudience] = useState<"selection" | "filter">(chosen.size > 0 ? "selection" : "filter")
  const [platform, setPlatform] = useState<Platform | "">("")
  const [status, setStatus] = useState<ProfileStatus | "">("new")
  const [q, setQ] = useState("")
  const [previewId, setPreviewId] = useState<number | null>(null)
  const [report, setReport] = useState<{ readonly report: Report; readonly channel: Channel } | null>(null)
  const channels = useLoad(() => api((c) => c.messages.channels()), [])
  const setup = channels.data?.find((c) => c.channel === channel)
  const action = useAction()
  const editor = useRef<HTMLTextAreaElement>(null)

  const filter = {
    ...(platform !== "" ? { platform } : {}),
    ...(status !== "" ? { status } : {}),
    ...(q.trim() !== "" ? { q: q.trim() } : {})
  }

  // People to preview for: the first of the selection, or of the filter.
  const candidates = useLoad<ReadonlyArray<Profile>>(
    async () =>
      audience === "selection"
        ? Promise.all([...chosen].slice(0, 20).map(profileById))
        : (await api((c) => c.profiles.list({ urlParams: { ...filter, limit: 20 } }))).items,
    [audience, chosen, platform, status, q]
  )
  const people = candidates.data ?? []
  const previewFor = people.find((p) => p.id === previewId) ?? people[0]
  const preview = previewFor === undefined ? undefined : render(template, previewFor, fieldsRecord(fields))

  const insert = (name: string) => {
    const area = editor.current
    const token = `{{${name}}}`
    if (area === null) return setTemplate((t) => t + token)
    const start = area.selectionStart
    const end = area.selectionEnd
    const next = template.slice(0, start) + token + template.slice(end)
    setTemplate(next)
    requestAnimationFrame(() => {
      area.focus()
      area.setSelectionRange(start + token.length, start + token.length)
    })
  }

  const create = () =>
    action.run(async () => {
      const custom = fieldsRecord(fields)
      const base = { template, channel, ...(Object.keys(custom).length > 0 ? { fields: custom } : {}) }
      const result = await api((c) =>
        c.drafts.create({
          payload: audience === "selection"
            ? { ...base, profileIds: [...chosen].slice(0, MaxDraftsPerRequest) as Array<ProfileId> }
            : { ...base, filter }
        })
      )
      setReport({ report: result, channel })
    })

  return (
    <div class="write">
      <h1>Write</h1>
      <form
        class="write-grid"
        onSubmit={(e) => {
          e.preventDefault()
          void create()
        }}
      >
        <section aria-label="Message template">
          <Choice label="Channel" value={channel} options={optionsOf(Channel.literals, channelName)} onChange={setChannel} hint={channelReach[channel]} />
          {setup !== undefined && !setup.configured && (
            <p class="problem" data-testid="channel-not-set-up">
              {notConfiguredWords(channel, setup.missing)} Until then everyone is skipped on this channel.
            </p>
          )}
          <label class="field">
            <span>Template</span>
            <textarea ref={editor} rows={7} maxLength={10_000} value={template} onInput={(e) => setTemplate(e.currentTarget.value)} required />
          </label>
          <p class="hint">
            <code>{"{{name|fallback}}"}</code> uses the fallback when the person has no value; without one, that person is skipped rather
            than sent a blank.
          </p>
          <div class="variables" role="group" aria-label="Insert a variable">
            {[...variables, ...fields.map((f) => f.name.trim()).filter((n) => /^[A-Za-z][A-Za-z0-9_]*$/.test(n))].map((name) => (
              <button type="button" class="chipbutton" onClick={() => insert(name)}>
                {`{{${name}}}`}
              </button>
            ))}
          </div>
          <fieldset>
            <legend>Your own fields (same value for everyone)</legend>
            {fields.map((field, i) => (
              <div class="inline-fields">
                <label class="field">
                  <span>Field name</span>
                  <input
                    value={field.name}
                    pattern="[A-Za-z][A-Za-z0-9_]*"
                    onInput={(e) => setFields(fields.map((f, j) => (j === i ? { ...f, name: e.currentTarget.value } : f)))}
                  />
                </label>
                <label class="field">
                  <span>Value</span>
                  <input
                    value={field.value}
                    maxLength={2000}
                    onInput={(e) => setFields(fields.map((f, j) => (j === i ? { ...f, value: e.currentTarget.value } : f)))}
                  />
                </label>
                <button type="button" onClick={() => setFields(fields.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </div>
            ))}
            <button type="button" onClick={() => setFields([...fields, { name: "", value: "" }])}>
              Add a field
            </button>
          </fieldset>
        </section>

        <section aria-label="Recipients and preview">
          <fieldset>
            <legend>Draft for</legend>
            <label class="check">
              <input
                type="radio"
                name="audience"
                checked={audience === "selection"}
                disabled={chosen.size === 0}
                onChange={() => setAudience("selection")}
              />
              The {plural(chosen.size, "person", "people")} selected on the <a href="#/people">People</a> screen
            </label>
            <label class="check">
              <input type="radio" name="audience" checked={audience === "filter"} onChange={() => setAudience("filter")} />
              Everyone matching (up to {MaxDraftsPerRequest} at a time)
            </label>
            {audience === "filter" && (
              <div class="inline-fields">
                <Choice label="Platform" value={platform} options={[Any, ...optionsOf(Platform.literals, platformName)]} onChange={setPlatform} />
                <Choice label="Status" value={status} options={[Any, ...optionsOf(ProfileStatus.literals, profileStatusName)]} onChange={setStatus} />
                <label class="field">
                  <span>Name or handle contains</span>
                  <input value={q} maxLength={256} onInput={(e) => setQ(e.currentTarget.value)} />
                </label>
              </div>
            )}
          </fieldset>

          <h2>Preview</h2>
          {candidates.loading && people.length === 0 ? <Busy>Loading people…</Busy> : people.length === 0 ? (
            <p class="empty">Nobody matches yet.</p>
          ) : (
            <label class="field">
              <span>Preview for</span>
              <select value={String(previewFor?.id ?? "")} onChange={(e) => setPreviewId(Number(e.currentTarget.value))}>
                {people.map((p) => <option value={String(p.id)}>{`${displayName(p)} (@${p.handle})`}</option>)}
              </select>
            </label>
          )}
          <ProblemNote problem={candidates.problem} />
          {previewFor !== undefined && preview !== undefined && (
            Either.isRight(preview) ? (
              <>
                <p class="body preview" data-testid="preview">
                  {preview.right}
                </p>
                <LengthCounter channel={channel} body={preview.right} handle={previewFor.handle} />
              </>
            ) : (
              <p class="problem" data-testid="preview">
                {"_tag" in preview.left
                  ? `${displayName(previewFor)} would be skipped: ${describeProblem(preview.left)}.`
                  : `The template cannot be used: ${preview.left.message}.`}
              </p>
            )
          )}
          <button type="submit" class="primary" disabled={action.busy || template.trim().length === 0}>
            {action.busy ? "Creating drafts…" : "Create drafts"}
          </button>
          <ProblemNote problem={action.problem} />
          {report !== null && <DraftsReport report={report.report} channel={report.channel} channels={channels.data} />}
        </section>
      </form>
    </div>
  )
}

const DraftsReport = (props: {
  readonly report: Report
  readonly channel: Channel
  readonly channels: ReadonlyArray<ChannelStatus> | undefined
}) => {
  const { channel, report } = props
  const missing = props.channels?.find((c) => c.channel === channel)?.missing ?? []
  return (
    <div class="report" role="status">
      <p>
        Created {plural(report.created.length, "draft")}
        {report.skipped.length > 0 ? `, skipped ${plural(report.skipped.length, "person", "people")}` : ""}.{" "}
        {report.created.length > 0 && <a href="#/review">Review them</a>}
      </p>
      {report.skipped.some((s) => s.reason === "channel_not_configured") && (
        <p class="problem">
          No draft is made on a channel this server cannot send on: it would wait forever.{" "}
          {missing.length > 0 ? notConfiguredWords(channel, missing) : `The ${channelShortName[channel]} channel is not set up on this server.`}{" "}
          Or pick another channel; the <a href="#/outbox">Outbox</a> shows what each channel needs.
        </p>
      )}
      {report.skipped.length > 0 && (
        <ul class="skipped">
          {report.skipped.map((s) => (
            <li>
              <a href={`#/people/${s.profileId}`}>
                <PersonName id={s.profileId} />
              </a>: {skipReasonName[s.reason]}
              {/* The note above already names the settings. */}
              {s.reason !== "channel_not_configured" && <> — {s.detail}</>}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
