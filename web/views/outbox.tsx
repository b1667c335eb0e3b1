import { useState } from "preact/hooks"
import { type Message, MessageStatus } from "../../src/Domain/Message.js"
import { api } from "../api.js"
import { cursorOf } from "../paging.js"
import { Any, Busy, Choice, optionsOf, Pager, ProblemNote, useAction, useInterval, useLoad, usePages } from "../ui.js"
import { channelName, errorCodeName, messageStatusName, relative, waitingReasonName, when } from "../words.js"
import { ChannelsPanel } from "./channels.js"
import { PersonName } from "./profile-card.js"

const PageSize = 25

/** Why a message waits or failed, and when it goes next. */
const State = ({ message: m }: { readonly message: Message }) => {
  switch (m.status) {
    case "queued":
      return (
        <p class="meta" data-waiting={m.waitingFor ?? undefined}>
          {m.waitingFor === null ? "Due now: the next free sender takes it." : (
            <>Waiting: {m.waitingDetail ?? waitingReasonName[m.waitingFor]}.</>
          )}{" "}
          {m.nextAttemptAt !== null && new Date(m.nextAttemptAt).getTime() > Date.now() && (
            <strong>
              Goes next at {when(m.nextAttemptAt)} ({relative(m.nextAttemptAt)}).
            </strong>
          )}
        </p>
      )
    case "sending":
      return <p class="meta">Being sent now.</p>
    case "failed":
      return (
        <p class="meta">
          Failed: {m.errorCode === null ? "no reason recorded" : errorCodeName(m.errorCode)}
          {m.errorDetail !== null && <> ({m.errorDetail})</>}.
        </p>
      )
    case "sent":
      return null
  }
}

/**
 * One message: to whom, how, its state in words, and what a person may do about it: take back a queued one
 * (its draft is approved again), queue a failed one again. The service decides whether a retry is allowed;
 * a refusal is shown here, in its words.
 */
export const MessageItem = (props: {
  readonly message: Message
  /** After an action: what happened, in words. */
  readonly onDone: (notice: string) => void
  /** The person is the page's own subject: no need to name them. */
  readonly withPerson?: boolean
}) => {
  const m = props.message
  const action = useAction()
  const cancel = () =>
    action.run(async () => {
      const draft = await api((c) => c.messages.cancel({ path: { id: m.id } }))
      props.onDone(`Cancelled message ${m.id}: draft ${draft.id} is approved again and can be sent (or edited) from Review.`)
    })
  const retry = () =>
    action.run(async () => {
      const queued = await api((c) => c.messages.retry({ path: { id: m.id } }))
      props.onDone(`Message ${queued.id} is queued again.`)
    })
  return (
    <li data-testid={`message-${m.id}`}>
      <p>
        {props.withPerson === false ? <><strong>To</strong> <span class="handle">{m.recipient}</span></> : (
          <>
            <strong>
              To{" "}
              <a href={`#/people/${m.profileId}`}>
                <PersonName id={m.profileId} />
              </a>
            </strong>{" "}
            <span class="handle">({m.recipient})</span>
          </>
        )} · {channelName[m.channel]} · <span class={`chip s-${m.status}`}>{messageStatusName[m.status]}</span>
      </p>
      <p class="meta">
        Message {m.id} · queued {when(m.queuedAt)}
        {m.sentAt !== null && <> · sent {when(m.sentAt)}</>} · {m.attempts} {m.attempts === 1 ? "attempt" : "attempts"}
      </p>
      <State message={m} />
      {(m.status === "queued" || m.status === "failed") && (
        <div class="actions">
          {m.status === "queued" && (
            <button type="button" onClick={() => void cancel()} disabled={action.busy}>
              Cancel message {m.id}
            </button>
          )}
          {m.status === "failed" && (
            <button type="button" onClick={() => void retry()} disabled={action.busy}>
              Retry message {m.id}
            </button>
          )}
        </div>
      )}
      {action.problem !== null && (
        <p class="problem" role="alert">
          {action.problem.tag === "MessageConflict" ? "Not done: " : ""}
          {/[.!?]$/.test(action.problem.message) ? action.problem.message : `${action.problem.message}.`}
        </p>
      )}
      <details>
        <summary>The message</summary>
        <p class="body">{m.body}</p>
      </details>
    </li>
  )
}

/** What was queued and what became of it, refreshed while anything is still on its way; the channels above it. */
export const Outbox = () => {
  const [status, setStatus] = useState<MessageStatus | "">("")
  const [notice, setNotice] = useState("")
  const pages = usePages([status])
  const list = useLoad(
    () =>
      api((c) =>
        c.messages.list({
          urlParams: {
            ...(status !== "" ? { status } : {}),
            ...(pages.cursor !== undefined ? { cursor: cursorOf(pages.cursor) } : {}),
            limit: PageSize
          }
        })
      ),
    [status, pages.cursor]
  )
  const channels = useLoad(() => api((c) => c.messages.channels()), [])
  const items = list.data?.items ?? []
  const moving = items.some((m) => m.status === "queued" || m.status === "sending")
  const refresh = () => {
    list.reload()
    channels.reload()
  }
  useInterval(refresh, 2000, moving && !list.loading)

  return (
    <div class="outbox">
      <h1>Outbox</h1>
      <ChannelsPanel channels={channels} />
      <h2>Messages</h2>
      <div class="filters">
        <Choice label="Status" value={status} options={[Any, ...optionsOf(MessageStatus.literals, messageStatusName)]} onChange={setStatus} />
        <button type="button" onClick={refresh} disabled={list.loading}>
          Refresh
        </button>
        {moving && <span class="meta">Refreshing every 2 seconds while messages are on their way.</span>}
      </div>
      <p class="sr-status" role="status" aria-live="polite">
        {notice}
      </p>
      <ProblemNote problem={list.problem} />
      {list.loading && items.length === 0 ? <Busy>Loading messages…</Busy> : items.length === 0 ? (
        <p class="empty">
          No messages yet. Approved drafts are sent from the <a href="#/review">Review</a> screen.
        </p>
      ) : (
        <ul class="messages">
          {items.map((m) => (
            <MessageItem
              key={m.id}
              message={m}
              onDone={(text) => {
                setNotice(text)
                refresh()
              }}
            />
          ))}
        </ul>
      )}
      <Pager label="Messages" page={pages.page} nextCursor={list.data?.nextCursor} onNext={pages.next} onPrevious={pages.previous} />
    </div>
  )
}
