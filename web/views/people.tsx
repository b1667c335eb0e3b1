import { useState } from "preact/hooks"
import { Platform } from "../../src/Domain/Platform.js"
import { ProfileStatus } from "../../src/Domain/Profile.js"
import { api } from "../api.js"
import { cursorOf } from "../paging.js"
import { displayName, selection } from "../profiles.js"
import { useStore } from "../store.js"
import { Any, Busy, Choice, optionsOf, Pager, ProblemNote, useLoad, usePages } from "../ui.js"
import { platformName, plural, profileStatusName, when } from "../words.js"

const PageSize = 25

/** Everyone found or imported, filtered and searched; pick people to write to. */
export const People = () => {
  const [platform, setPlatform] = useState<Platform | "">("")
  const [status, setStatus] = useState<ProfileStatus | "">("")
  const [q, setQ] = useState("")
  const [search, setSearch] = useState("")
  const pages = usePages([platform, status, search])
  const chosen = useStore(selection)
  const list = useLoad(
    () =>
      api((c) =>
        c.profiles.list({
          urlParams: {
            ...(platform !== "" ? { platform } : {}),
            ...(status !== "" ? { status } : {}),
            ...(search !== "" ? { q: search } : {}),
            ...(pages.cursor !== undefined ? { cursor: cursorOf(pages.cursor) } : {}),
            limit: PageSize
          }
        })
      ),
    [platform, status, search, pages.cursor]
  )
  const items = list.data?.items ?? []

  const toggle = (id: number) => {
    const next = new Set(chosen)
    if (!next.delete(id)) next.add(id)
    selection.set(next)
  }
  const allChosen = items.length > 0 && items.every((p) => chosen.has(p.id))

  return (
    <div class="people">
      <h1>People</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault()
          setSearch(q.trim())
        }}
      >
        <Choice label="Platform" value={platform} options={[Any, ...optionsOf(Platform.literals, platformName)]} onChange={setPlatform} />
        <Choice label="Status" value={status} options={[Any, ...optionsOf(ProfileStatus.literals, profileStatusName)]} onChange={setStatus} />
        <label class="field">
          <span>Name or handle contains</span>
          <input type="search" value={q} maxLength={256} onInput={(e) => setQ(e.currentTarget.value)} />
        </label>
        <button type="submit">Search</button>
      </form>

      <div class="selection-bar" role="status">
        {chosen.size === 0 ? "Tick people to write to them." : `${plural(chosen.size, "person", "people")} selected.`}{" "}
        {chosen.size > 0 && (
          <>
            <a href="#/write" class="button primary">
              Write to them
            </a>{" "}
            <button type="button" onClick={() => selection.set(new Set())}>
              Clear the selection
            </button>
          </>
        )}
      </div>

      <ProblemNote problem={list.problem} />
      {list.loading && items.length === 0 ? <Busy>Loading people…</Busy> : items.length === 0 ? (
        <p class="empty">
          Nobody here yet. <a href="#/import">Import</a> people or <a href="#/find">find</a> some.
        </p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select everyone on this page"
                  checked={allChosen}
                  onChange={() => {
                    const next = new Set(chosen)
                    items.forEach((p) => (allChosen ? next.delete(p.id) : next.add(p.id)))
                    selection.set(next)
                  }}
                />
              </th>
              <th scope="col">Name</th>
              <th scope="col">Handle</th>
              <th scope="col">Platform</th>
              <th scope="col">Status</th>
              <th scope="col" class="optional">Followers</th>
              <th scope="col" class="optional">First seen</th>
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <tr>
                <td>
                  <input type="checkbox" aria-label={`Select ${displayName(p)}`} checked={chosen.has(p.id)} onChange={() => toggle(p.id)} />
                </td>
                <td>
                  <a href={`#/people/${p.id}`}>{displayName(p)}</a>
                </td>
                <td class="handle">@{p.handle}</td>
                <td>{platformName[p.platform]}</td>
                <td>{profileStatusName[p.status]}</td>
                <td class="optional">{p.followersCount ?? "—"}</td>
                <td class="optional">{when(p.firstSeenAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="People" page={pages.page} nextCursor={list.data?.nextCursor} onNext={pages.next} onPrevious={pages.previous} />
    </div>
  )
}
