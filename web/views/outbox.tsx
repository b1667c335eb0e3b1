import { useState } from "preact/hooks"
import { type Message, MessageStatus } from "../../src/Domain/Message.js"
import { api } from "../api.js"
import { cursorOf } from "../paging.js"
import { Any, Busy, Choice, optionsOf, Pager, ProblemNote, useInterval, useLoad, usePages } from "../ui.js"
import { channelName, errorCodeName, messageStatusName, relative, when } from "../words.js"
import { PersonName } from "./profile-card.js"

const PageSize = 25

const Reason = ({ message }: { readonly message: Message }) => {
  if (message.errorCode === null && message.nextAttemptAt === null) return null
  return (
    <p class="meta">
      {message.errorCode !== null && (
        <>
          {message.status === "failed" ? "Failed: " : "Waiting: "}
          {errorCodeName(message.errorCode)}
          {message.errorDetail !== null && <> ({message.errorDetail})</>}.{" "}
        </>
      )}
      {message.nextAttemptAt !== null && message.status === "queued" && (
        <>
          Next try at {when(message.nextAttemptAt)} ({relative(message.nextAttemptAt)}).
        </>
      )}
    </p>
  )
}

/** What was queued and what became of it, refreshed while anything is still on its way. */
export const Outbox = () => {
  const [status, setStatus] = useState<MessageStatus | "">("")
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
  const items = list.data?.items ?? []
  const moving = items.some((m) => m.status === "queued" || m.status === "sending")
  useInterval(list.reload, 2000, moving && !list.loading)

  return (
    <div class="outbox">
      <h1>Outbox</h1>
      <div class="filters">
        <Choice label="Status" value={status} options={[Any, ...optionsOf(MessageStatus.literals, messageStatusName)]} onChange={setStatus} />
        <button type="button" onClick={list.reload} disabled={list.loading}>
          Refresh
        </button>
        {moving && <span class="meta">Refreshing every 2 seconds while messages are on their way.</span>}
      </div>
      <ProblemNote problem={list.problem} />
      {list.loading && items.length === 0 ? <Busy>Loading messages…</Busy> : items.length === 0 ? (
        <p class="empty">
          No messages yet. Approved drafts are sent from the <a href="#/review">Review</a> screen.
        </p>
      ) : (
        <ul class="messages">
          {items.map((m) => (
            <li data-testid={`message-${m.id}`}>
              <p>
                <strong>
                  To <a href={`#/people/${m.profileId}`}><PersonName id={m.profileId} /></a>
                </strong>{" "}
                <span class="handle">({m.recipient})</span> · {channelName[m.channel]} ·{" "}
                <span class={`chip s-${m.status}`}>{messageStatusName[m.status]}</span>
              </p>
              <p class="meta">
                Queued {when(m.queuedAt)}
                {m.sentAt !== null && <> · sent {when(m.sentAt)}</>} · {m.attempts} {m.attempts === 1 ? "attempt" : "attempts"}
              </p>
              <Reason message={m} />
              <details>
                <summary>The message</summary>
                <p class="body">{m.body}</p>
              </details>
            </li>
          ))}
        </ul>
      )}
      <Pager label="Messages" page={pages.page} nextCursor={list.data?.nextCursor} onNext={pages.next} onPrevious={pages.previous} />
    </div>
  )
}
