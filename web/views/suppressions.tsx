import { Either, ParseResult, Schema } from "effect"
import { useState } from "preact/hooks"
import { Platform } from "../../src/Domain/Platform.js"
import { NewSuppression } from "../../src/Domain/Suppression.js"
import { api, type Problem } from "../api.js"
import { cursorOf } from "../paging.js"
import { Busy, Choice, optionsOf, Pager, ProblemNote, useAction, useLoad, usePages } from "../ui.js"
import { platformName, plural, when } from "../words.js"

const PageSize = 50

const download = (name: string, text: string) => {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }))
  const link = document.createElement("a")
  link.href = url
  link.download = name
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** The do-not-contact list: people never to write to, whether or not they are among the profiles. */
export const Suppressions = () => {
  const pages = usePages([])
  const list = useLoad(
    () => api((c) => c.suppressions.list({ urlParams: pages.cursor !== undefined ? { cursor: cursorOf(pages.cursor), limit: PageSize } : { limit: PageSize } })),
    [pages.cursor]
  )
  const [platform, setPlatform] = useState<Platform>("bluesky")
  const [handle, setHandle] = useState("")
  const [reason, setReason] = useState("")
  const [file, setFile] = useState<File | null>(null)
  const [imported, setImported] = useState<string | null>(null)
  const [rejected, setRejected] = useState<ReadonlyArray<{ readonly row: number; readonly reason: string }>>([])
  const add = useAction()
  const other = useAction()

  const submit = () =>
    add.run(async () => {
      const input = Schema.decodeUnknownEither(NewSuppression)({ platform, handle, ...(reason.trim() ? { reason: reason.trim() } : {}) })
      if (Either.isLeft(input)) {
        throw { tag: "Invalid", message: ParseResult.ArrayFormatter.formatErrorSync(input.left).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") } satisfies Problem
      }
      await api((c) => c.suppressions.add({ payload: input.right }))
      setHandle("")
      setReason("")
      pages.first()
      list.reload()
    })

  return (
    <div class="suppressions">
      <h1>Suppressions</h1>
      <p>Nobody on this list gets a draft or a message: it is checked when drafts are made, when a message is queued, and right before sending.</p>
      <div class="two">
        <form
          aria-labelledby="add-heading"
          onSubmit={(e) => {
            e.preventDefault()
            void submit()
          }}
        >
          <h2 id="add-heading">Add someone</h2>
          <Choice label="Platform" value={platform} options={optionsOf(Platform.literals, platformName)} onChange={setPlatform} />
          <label class="field">
            <span>Handle</span>
            <input value={handle} maxLength={512} onInput={(e) => setHandle(e.currentTarget.value)} required />
          </label>
          <label class="field">
            <span>Reason (optional)</span>
            <input value={reason} maxLength={1000} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary" disabled={add.busy}>
            Add to the list
          </button>
          <ProblemNote problem={add.problem} />
        </form>

        <form
          aria-labelledby="import-heading"
          onSubmit={(e) => {
            e.preventDefault()
            void other.run(async () => {
              if (file === null) return
              const csv = await file.text()
              const result = await api((c) => c.suppressions.import({ payload: { csv } }))
              setImported(`Added ${plural(result.accepted, "entry", "entries")}, rejected ${result.rejected.length}.`)
              setRejected(result.rejected)
              pages.first()
              list.reload()
            })
          }}
        >
          <h2 id="import-heading">Import and export</h2>
          <label class="field">
            <span>CSV file with a header row platform,handle[,reason]</span>
            <input type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
          </label>
          <div class="actions">
            <button type="submit" disabled={file === null || other.busy}>
              Import
            </button>
            <button
              type="button"
              disabled={other.busy}
              onClick={() => void other.run(async () => download("suppressions.csv", await api((c) => c.suppressions.export())))}
            >
              Export the whole list as CSV
            </button>
          </div>
          {imported !== null && <p role="status">{imported}</p>}
          {rejected.length > 0 && (
            <ul>
              {rejected.map((r) => (
                <li>
                  Line {r.row}: {r.reason}
                </li>
              ))}
            </ul>
          )}
          <ProblemNote problem={other.problem} />
        </form>
      </div>

      <h2>The list</h2>
      <ProblemNote problem={list.problem} />
      {list.data === undefined ? <Busy>Loading the list…</Busy> : list.data.items.length === 0 ? (
        <p class="empty">Nobody is on the list.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Platform</th>
              <th scope="col">Handle</th>
              <th scope="col">Reason</th>
              <th scope="col" class="optional">Added</th>
              <th scope="col">
                <span class="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((s) => (
              <tr>
                <td>{platformName[s.platform]}</td>
                <td class="handle">{s.handle}</td>
                <td>{s.reason ?? "—"}</td>
                <td class="optional">{when(s.createdAt)}</td>
                <td>
                  <button
                    type="button"
                    disabled={other.busy}
                    onClick={() =>
                      void other.run(async () => {
                        await api((c) => c.suppressions.remove({ path: { id: s.id } }))
                        list.reload()
                      })}
                  >
                    Remove {s.handle}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Suppressions" page={pages.page} nextCursor={list.data?.nextCursor} onNext={pages.next} onPrevious={pages.previous} />
    </div>
  )
}
