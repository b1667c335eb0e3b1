import type { ComponentChildren } from "preact"
import { useCallback, useEffect, useRef, useState } from "preact/hooks"
import { isProblem, type Problem, problemOf } from "./api.js"

/**
 * Small pieces every screen uses. Text from strangers (names, bios, handles) is only ever passed as a
 * child or an attribute, which Preact sets as text: nothing here builds HTML from data.
 */

export const asProblem = (error: unknown): Problem => (isProblem(error) ? error : problemOf(error))

export const ProblemNote = ({ problem }: { readonly problem: Problem | null | undefined }) =>
  problem === null || problem === undefined ? null : (
    <p class="problem" role="alert">
      {problem.message}
    </p>
  )

/** Says what is happening, for screen readers too. */
export const Busy = ({ children }: { readonly children: ComponentChildren }) => (
  <p class="busy" role="status" aria-live="polite">
    {children}
  </p>
)

export interface Loaded<A> {
  readonly data: A | undefined
  readonly problem: Problem | null
  readonly loading: boolean
  readonly reload: () => void
}

/** Loads with `load` whenever `deps` change; `reload` loads again. Stale answers are dropped. */
export const useLoad = <A,>(load: () => Promise<A>, deps: ReadonlyArray<unknown>): Loaded<A> => {
  const [state, setState] = useState<{ data: A | undefined; problem: Problem | null; loading: boolean }>({
    data: undefined,
    problem: null,
    loading: true
  })
  const generation = useRef(0)
  const run = useCallback(() => {
    const mine = ++generation.current
    setState((s) => ({ ...s, loading: true }))
    load().then(
      (data) => mine === generation.current && setState({ data, problem: null, loading: false }),
      (error: unknown) => mine === generation.current && setState((s) => ({ data: s.data, problem: asProblem(error), loading: false }))
    )
  }, deps)
  useEffect(run, [run])
  return { ...state, reload: run }
}

/** Calls `tick` every `ms` while `active`. */
export const useInterval = (tick: () => void, ms: number, active: boolean) => {
  const latest = useRef(tick)
  latest.current = tick
  useEffect(() => {
    if (!active) return
    const timer = setInterval(() => latest.current(), ms)
    return () => clearInterval(timer)
  }, [ms, active])
}

/** Runs one action at a time: a second click while the first runs does nothing. */
export const useAction = () => {
  const running = useRef(false)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<Problem | null>(null)
  const run = useCallback(async <A,>(action: () => Promise<A>): Promise<A | undefined> => {
    if (running.current) return undefined
    running.current = true
    setBusy(true)
    setProblem(null)
    try {
      return await action()
    } catch (error) {
      setProblem(asProblem(error))
      return undefined
    } finally {
      running.current = false
      setBusy(false)
    }
  }, [])
  return { run, busy, problem, setProblem }
}

/** A link only for web addresses: a `javascript:` or `data:` URL from a profile stays text. */
export const safeHref = (url: string | null | undefined): string | undefined => {
  if (url === null || url === undefined) return undefined
  try {
    const parsed = new URL(url)
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : undefined
  } catch {
    return undefined
  }
}

export const ExternalLink = ({ href, children }: { readonly href: string | null | undefined; readonly children: ComponentChildren }) => {
  const safe = safeHref(href)
  return safe === undefined ? <span>{children}</span> : (
    <a href={safe} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  )
}

/** Keyset paging: the cursors of the pages seen so far, so "Previous" goes back. */
export const usePages = (resetOn: ReadonlyArray<unknown>) => {
  const [cursors, setCursors] = useState<ReadonlyArray<string | undefined>>([undefined])
  useEffect(() => setCursors([undefined]), resetOn)
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    next: (cursor: string) => setCursors((all) => [...all, cursor]),
    previous: () => setCursors((all) => (all.length > 1 ? all.slice(0, -1) : all)),
    first: () => setCursors([undefined])
  }
}

export const Pager = (props: {
  readonly page: number
  readonly nextCursor: string | null | undefined
  readonly onNext: (cursor: string) => void
  readonly onPrevious: () => void
  readonly label: string
}) => (
  <nav class="pager" aria-label={`${props.label} pages`}>
    <button type="button" onClick={props.onPrevious} disabled={props.page <= 1}>
      Previous page
    </button>
    <span>Page {props.page}</span>
    <button
      type="button"
      onClick={() => props.nextCursor && props.onNext(props.nextCursor)}
      disabled={props.nextCursor === null || props.nextCursor === undefined}
    >
      Next page
    </button>
  </nav>
)

/** Reads a file the person picked, as text. */
export const readText = (file: File) => file.text()

/** A labelled choice among values, each shown by its words; `""` is the usual "Any". */
export const Choice = <V extends string,>(props: {
  readonly label: string
  readonly value: V
  readonly options: ReadonlyArray<readonly [V, string]>
  readonly onChange: (value: V) => void
  readonly hint?: string
}) => (
  <label class="field">
    <span>{props.label}</span>
    <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value as V)}>
      {props.options.map(([value, text]) => <option value={value}>{text}</option>)}
    </select>
    {props.hint !== undefined && <small>{props.hint}</small>}
  </label>
)

/** The options of a literal schema, in its order, named by `names`. */
export const optionsOf = <V extends string,>(literals: ReadonlyArray<V>, names: Readonly<Record<V, string>>) =>
  literals.map((value) => [value, names[value]] as const)

export const Any = ["", "Any"] as const
