import { useCallback, useEffect, useRef, useState } from "preact/hooks"
import type { Draft, DraftId, DraftStatus } from "../../src/Domain/Draft.js"
import type { Message } from "../../src/Domain/Message.js"
import { api, type Problem, randomKey } from "../api.js"
import { LengthCounter } from "../counter.js"
import { cursorOf } from "../paging.js"
import { displayName, profileById } from "../profiles.js"
import { Busy, ProblemNote, asProblem, useAction } from "../ui.js"
import { PersonName, ProfileCard, useProfile } from "./profile-card.js"
import { channelName, draftStatusName, plural } from "../words.js"

const PageSize = 50

const queues: ReadonlyArray<{ readonly status: DraftStatus; readonly label: string }> = [
  { status: "draft", label: "To review" },
  { status: "approved", label: "Approved" },
  { status: "rejected", label: "Rejected" }
]

const firstLine = (body: string) => {
  const line = body.split("\n").find((l) => l.trim().length > 0) ?? ""
  return line.length > 80 ? `${line.slice(0, 79)}…` : line
}

/** Typing in a field is not a command (a focused checkbox or button is no field). */
const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.closest("textarea, select, [contenteditable='true']") !== null ||
    (target instanceof HTMLInputElement && !["checkbox", "radio", "button", "submit"].includes(target.type)))

/**
 * The heart of the desk: drafts one at a time with the person beside the message; approve, reject, edit,
 * move, select, all by keyboard as well as by mouse; then send what was approved.
 */
export const Review = () => {
  const [queue, setQueue] = useState<DraftStatus>("draft")
  const [items, setItems] = useState<ReadonlyArray<Draft>>([])
  const [nextCursor, setNextCursor] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const [loadProblem, setLoadProblem] = useState<Problem | null>(null)
  const [index, setIndex] = useState(0)
  const [selected, setSelected] = useState<ReadonlySet<DraftId>>(new Set())
  const [editing, setEditing] = useState(false)
  const [text, setText] = useState("")
  const [reason, setReason] = useState("")
  const [notice, setNotice] = useState("")
  const [approvedCount, setApprovedCount] = useState(0)
  const action = useAction()
  const card = useRef<HTMLElement>(null)
  const editor = useRef<HTMLTextAreaElement>(null)

  const load = useCallback(async (cursor: string | null) => {
    setLoading(true)
    try {
      const page = await api((c) =>
        c.drafts.list({
          urlParams: cursor === null ? { status: queue, limit: PageSize } : { status: queue, limit: PageSize, cursor: cursorOf(cursor) }
        })
      )
      setItems((before) => (cursor === null ? page.items : [...before, ...page.items]))
      setNextCursor(page.nextCursor)
      setLoadProblem(null)
    } catch (error) {
      setLoadProblem(asProblem(error))
    } finally {
      setLoading(false)
    }
  }, [queue])

  useEffect(() => {
    setIndex(0)
    setSelected(new Set())
    setEditing(false)
    void load(null)
  }, [load])

  const current: Draft | undefined = items[Math.min(index, items.length - 1)]
  const profile = useProfile(current?.profileId)

  // Preload the next person, so moving on shows them at once.
  useEffect(() => {
    const next = items[index + 1]
    if (next !== undefined) void profileById(next.profileId).catch(() => undefined)
  }, [items, index])

  const replace = (updated: Draft) => setItems((all) => all.map((d) => (d.id === updated.id ? updated : d)))

  const focusCard = () => requestAnimationFrame(() => card.current?.focus())

  const move = (by: number) => {
    if (editing || items.length === 0) return
    setIndex((i) => Math.max(0, Math.min(items.length - 1, i + by)))
    setReason("")
  }

  /** After a decision: the next draft still waiting for one, if any follows. */
  const advance = (after: ReadonlyArray<Draft>, from: number) => {
    const next = after.findIndex((d, i) => i > from && d.status === queue)
    if (next >= 0) setIndex(next)
    else if (from < after.length - 1) setIndex(from + 1)
  }

  const decide = (kind: "approve" | "reject", draft: Draft | undefined = current) =>
    action.run(async () => {
      if (draft === undefined) return
      const name = profile !== undefined && profile.id === draft.profileId ? displayName(profile) : `person #${draft.profileId}`
      const updated = kind === "approve"
        ? await api((c) => c.drafts.approve({ path: { id: draft.id }, payload: {} }))
        : await api((c) => c.drafts.reject({ path: { id: draft.id }, payload: reason.trim() ? { reason: reason.trim() } : {} }))
      const after = items.map((d) => (d.id === updated.id ? updated : d))
      setItems(after)
      setReason("")
      setNotice(`${kind === "approve" ? "Approved" : "Rejected"} the message to ${name}.`)
      if (kind === "approve") setApprovedCount((n) => n + 1)
      advance(after, items.indexOf(draft))
      focusCard()
    })

  const startEdit = () => {
    if (current === undefined || current.status === "sent" || current.status === "rejected") return
    setText(current.body)
    setEditing(true)
    requestAnimationFrame(() => editor.current?.focus())
  }

  const cancelEdit = () => {
    setEditing(false)
    focusCard()
  }

  const saveEdit = () =>
    action.run(async () => {
      if (current === undefined) return
      const updated = await api((c) => c.drafts.edit({ path: { id: current.id }, payload: { body: text } }))
      replace(updated)
      setEditing(false)
      setNotice(current.status === "approved" ? "Saved. The edited message needs approving again." : "Saved the new text.")
      focusCard()
    })

  const toggle = (id: DraftId) =>
    setSelected((all) => {
      const next = new Set(all)
      if (!next.delete(id)) next.add(id)
      return next
    })

  const approveSelected = () =>
    action.run(async () => {
      const chosen = items.filter((d) => selected.has(d.id) && d.status === "draft")
      let after = items
      const failed: Array<string> = []
      for (const draft of chosen) {
        try {
          const updated = await api((c) => c.drafts.approve({ path: { id: draft.id }, payload: {} }))
          after = after.map((d) => (d.id === updated.id ? updated : d))
        } catch (error) {
          failed.push(`draft ${draft.id}: ${asProblem(error).message}`)
        }
      }
      setItems(after)
      setSelected(new Set())
      setApprovedCount((n) => n + chosen.length - failed.length)
      setNotice(
        `Approved ${plural(chosen.length - failed.length, "draft")}.` + (failed.length > 0 ? ` Not approved: ${failed.join("; ")}` : "")
      )
    })

  // The keys work anywhere on this screen except while typing in a field.
  const keys = useRef<(event: KeyboardEvent) => void>(() => undefined)
  keys.current = (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return
    const command: Record<string, () => void> = {
      j: () => move(1),
      k: () => move(-1),
      a: () => void decide("approve"),
      r: () => void decide("reject"),
      e: startEdit,
      x: () => current !== undefined && toggle(current.id),
      A: () => void approveSelected()
    }
    const run = command[event.key]
    if (run === undefined || editing) return
    event.preventDefault()
    run()
  }
  useEffect(() => {
    const listener = (event: KeyboardEvent) => keys.current(event)
    document.addEventListener("keydown", listener)
    return () => document.removeEventListener("keydown", listener)
  }, [])

  const decidable = current !== undefined && current.status === "draft"

  return (
    <div class="review">
      <div class="heading">
        <h1>Review</h1>
        <p class="keys" aria-label="Keyboard shortcuts">
          <kbd>a</kbd> approve · <kbd>r</kbd> reject · <kbd>e</kbd> edit · <kbd>j</kbd>/<kbd>k</kbd> next/previous · <kbd>x</kbd>{" "}
          select · <kbd>A</kbd> approve selected
        </p>
      </div>
      <div class="tabs" role="group" aria-label="Which drafts">
        {queues.map((q) => (
          <button type="button" aria-pressed={queue === q.status} onClick={() => setQueue(q.status)}>
            {q.label}
          </button>
        ))}
      </div>
      <p class="sr-status" role="status" aria-live="polite">
        {notice}
      </p>
      <ProblemNote problem={loadProblem ?? action.problem} />
      <div class="review-grid">
        <section class="queue" aria-label="Drafts">
          {loading && items.length === 0 ? <Busy>Loading drafts…</Busy> : items.length === 0 ? (
            <p class="empty">
              {queue === "draft" ? <>Nothing to review. <a href="#/write">Write drafts</a> for people first.</> : "None."}
            </p>
          ) : (
            <ol>
              {items.map((draft, i) => (
                <li class={i === index ? "current" : undefined}>
                  <input
                    type="checkbox"
                    aria-label={`Select draft ${draft.id}`}
                    checked={selected.has(draft.id)}
                    onChange={() => toggle(draft.id)}
                  />
                  <button type="button" class="row" aria-current={i === index ? "true" : undefined} onClick={() => setIndex(i)}>
                    <span class="who">
                      <PersonName id={draft.profileId} />
                    </span>
                    <span class={`chip s-${draft.status}`}>{draftStatusName[draft.status]}</span>
                    <span class="line">{firstLine(draft.body)}</span>
                  </button>
                </li>
              ))}
            </ol>
          )}
          {nextCursor !== null && (
            <button type="button" onClick={() => void load(nextCursor)} disabled={loading}>
              {loading ? "Loading…" : "Load more"}
            </button>
          )}
          {selected.size > 0 && (
            <button type="button" class="primary" onClick={() => void approveSelected()} disabled={action.busy}>
              Approve selected ({selected.size})
            </button>
          )}
        </section>

        {current !== undefined && (
          <section class="draft-card" aria-label="Draft under review" tabIndex={-1} ref={card}>
            <div class="context">
              {profile !== undefined && profile.id === current.profileId ? <ProfileCard profile={profile} /> : <Busy>Loading the person…</Busy>}
            </div>
            <div class="message">
              <h2>
                Draft {current.id} <span class={`chip s-${current.status}`}>{draftStatusName[current.status]}</span>
              </h2>
              <p class="meta">{channelName[current.channel]}</p>
              {editing ? (
                <form
                  onSubmit={(e) => {
                    e.preventDefault()
                    void saveEdit()
                  }}
                >
                  <label class="field">
                    <span>Message (Ctrl+Enter saves, Esc cancels)</span>
                    <textarea
                      ref={editor}
                      rows={8}
                      maxLength={10_000}
                      value={text}
                      onInput={(e) => setText(e.currentTarget.value)}
                      onKeyDown={(e) => {
                        if (e.key === "Escape") {
                          e.preventDefault()
                          cancelEdit()
                        } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                          e.preventDefault()
                          void saveEdit()
                        }
                      }}
                    />
                  </label>
                  <LengthCounter channel={current.channel} body={text} handle={profile?.handle ?? ""} />
                  <div class="actions">
                    <button type="submit" class="primary" disabled={action.busy}>
                      {action.busy ? "Saving…" : "Save"}
                    </button>
                    <button type="button" onClick={cancelEdit}>
                      Cancel
                    </button>
                  </div>
                </form>
              ) : (
                <>
                  <p class="body" data-testid="draft-body">
                    {current.body}
                  </p>
                  <LengthCounter channel={current.channel} body={current.body} handle={profile?.handle ?? ""} />
                  {current.rejectedReason !== null && <p class="meta">Rejected: {current.rejectedReason}</p>}
                  {current.approvedBy !== null && <p class="meta">Approved by {current.approvedBy}</p>}
                  <div class="actions">
                    <button type="button" class="primary" onClick={() => void decide("approve")} disabled={!decidable || action.busy}>
                      Approve <kbd>a</kbd>
                    </button>
                    <button
                      type="button"
                      onClick={() => void decide("reject")}
                      disabled={current.status === "sent" || current.status === "rejected" || action.busy}
                    >
                      Reject <kbd>r</kbd>
                    </button>
                    <button type="button" onClick={startEdit} disabled={current.status === "sent" || current.status === "rejected"}>
                      Edit <kbd>e</kbd>
                    </button>
                    <button type="button" onClick={() => move(-1)} disabled={index === 0}>
                      Previous <kbd>k</kbd>
                    </button>
                    <button type="button" onClick={() => move(1)} disabled={index >= items.length - 1}>
                      Skip <kbd>j</kbd>
                    </button>
                  </div>
                  <div class="inline-fields">
                    <label class="field">
                      <span>Reason to reject (optional)</span>
                      <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={1000} />
                    </label>
                  </div>
                </>
              )}
            </div>
          </section>
        )}
      </div>
      <SendApproved changed={approvedCount} />
    </div>
  )
}

interface SendReport {
  readonly queued: ReadonlyArray<Message>
  readonly refused: ReadonlyArray<{ readonly draftId: number; readonly problem: Problem }>
  readonly unanswered: ReadonlyArray<number>
}

// No answer at all: the same request (same key) may safely be made again.
const unanswered = (problem: Problem) =>
  ["Unreachable", "ResponseError", "InternalServerError", "DatabaseUnavailable", "TablesMissing"].includes(problem.tag)

/**
 * Sends the approved drafts. One click is one action with one idempotency key (per draft: key and draft
 * id), and a retry of that action after a failure reuses it: the service then answers with the message it
 * already queued instead of queuing another. A second click while the first is running does nothing.
 */
const SendApproved = ({ changed }: { readonly changed: number }) => {
  const [approved, setApproved] = useState<ReadonlyArray<Draft>>([])
  const [loadProblem, setLoadProblem] = useState<Problem | null>(null)
  const [report, setReport] = useState<SendReport | null>(null)
  const [retry, setRetry] = useState<{ readonly key: string; readonly ids: ReadonlyArray<DraftId> } | null>(null)
  const action = useAction()

  const load = useCallback(() => {
    api((c) => c.drafts.list({ urlParams: { status: "approved", limit: 100 } })).then(
      (page) => {
        setApproved(page.items)
        setLoadProblem(null)
      },
      (error: unknown) => setLoadProblem(asProblem(error))
    )
  }, [])
  useEffect(load, [load, changed])

  const send = (key: string, ids: ReadonlyArray<DraftId>) =>
    action.run(async () => {
      const queued: Array<Message> = []
      const refused: Array<{ draftId: number; problem: Problem }> = []
      const missing: Array<DraftId> = []
      for (const id of ids) {
        try {
          queued.push(await api((c) => c.messages.send({ path: { id }, headers: { "idempotency-key": `${key}-${id}` } })))
        } catch (error) {
          const problem = asProblem(error)
          if (unanswered(problem)) missing.push(id)
          else refused.push({ draftId: id, problem })
        }
      }
      setApproved((all) => all.filter((d) => !queued.some((m) => m.draftId === d.id)))
      setReport({ queued, refused, unanswered: missing })
      setRetry(missing.length > 0 ? { key, ids: missing } : null)
      load()
    })

  return (
    <section class="send" aria-labelledby="send-heading">
      <h2 id="send-heading">Ready to send</h2>
      <ProblemNote problem={loadProblem} />
      {approved.length === 0 ? (
        <p>No approved drafts wait to be sent.</p>
      ) : (
        <p>
          {plural(approved.length, "approved draft")} ready. Sending queues them: the service sends each within the channel's daily cap
          and spacing, and never twice to one person.
        </p>
      )}
      <div class="actions">
        <button
          type="button"
          class="primary"
          disabled={approved.length === 0 || action.busy}
          onClick={() => void send(randomKey(), approved.map((d) => d.id))}
        >
          {approved.length === 0 ? "Nothing to send" : `Send ${plural(approved.length, "approved message")}`}
        </button>
        {action.busy && <Busy>Sending…</Busy>}
        {retry !== null && !action.busy && (
          <button type="button" onClick={() => void send(retry.key, retry.ids)}>
            Retry the {plural(retry.ids.length, "draft")} that got no answer
          </button>
        )}
      </div>
      <ProblemNote problem={action.problem} />
      {report !== null && (
        <div class="report" role="status">
          <p>
            Queued {plural(report.queued.length, "message")}. <a href="#/outbox">Watch them in the Outbox</a>.
          </p>
          {report.refused.length > 0 && (
            <ul>
              {report.refused.map((r) => (
                <li>
                  Draft {r.draftId} not sent: {r.problem.message}
                </li>
              ))}
            </ul>
          )}
          {report.unanswered.length > 0 && (
            <p class="problem">The service did not answer for {plural(report.unanswered.length, "draft")}; retrying is safe.</p>
          )}
        </div>
      )}
    </section>
  )
}
