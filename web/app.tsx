import { useEffect, useState } from "preact/hooks"
import { access, checkAccess, checkHealth, forgetToken, serviceProblem, tryToken } from "./api.js"
import { useStore } from "./store.js"
import { Busy, ProblemNote, useInterval } from "./ui.js"
import { Find } from "./views/find.js"
import { Importer } from "./views/import.js"
import { Outbox } from "./views/outbox.js"
import { People } from "./views/people.js"
import { Person } from "./views/person.js"
import { Review } from "./views/review.js"
import { Suppressions } from "./views/suppressions.js"
import { Write } from "./views/write.js"

/** The screens, in the order of the work: find or import people, write, review, watch them go. */
const screens = [
  { path: "review", label: "Review" },
  { path: "write", label: "Write" },
  { path: "people", label: "People" },
  { path: "import", label: "Import" },
  { path: "find", label: "Find" },
  { path: "outbox", label: "Outbox" },
  { path: "suppressions", label: "Suppressions" }
] as const

const routeOf = (hash: string) => hash.replace(/^#\/?/, "").split("/").filter((part) => part.length > 0)

const useRoute = () => {
  const [route, setRoute] = useState(() => routeOf(location.hash))
  useEffect(() => {
    const onChange = () => setRoute(routeOf(location.hash))
    addEventListener("hashchange", onChange)
    return () => removeEventListener("hashchange", onChange)
  }, [])
  return route
}

const TokenForm = ({ wrong }: { readonly wrong: boolean }) => {
  const [token, setToken] = useState("")
  const [checking, setChecking] = useState(false)
  return (
    <main id="main" class="gate">
      <h1>Review desk</h1>
      <p>
        This service is protected by its API token (<code>API_TOKEN</code>). Enter it once: the page keeps it for this browser
        tab only and sends it as a bearer header, never as a cookie.
      </p>
      {wrong && (
        <p class="problem" role="alert">
          Wrong token: the service refused it. Check the value of API_TOKEN and enter it again.
        </p>
      )}
      <form
        onSubmit={async (event) => {
          event.preventDefault()
          if (token.trim().length === 0) return
          setChecking(true)
          await tryToken(token.trim())
          setChecking(false)
        }}
      >
        <label class="field">
          <span>API token</span>
          <input type="password" autoComplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} required />
        </label>
        <button type="submit" class="primary" disabled={checking}>
          {checking ? "Checking…" : "Use this token"}
        </button>
      </form>
    </main>
  )
}

const ServiceProblem = () => {
  const problem = useStore(serviceProblem)
  useInterval(() => void checkHealth(), 5000, problem !== null)
  if (problem === null) return null
  return (
    <div class="banner" role="alert">
      {problem.tag === "TablesMissing" ? <strong>The database is not ready for this service.</strong> : <strong>The database cannot be reached.</strong>}{" "}
      {problem.message} <span class="meta">(This page checks again every 5 seconds.)</span>
    </div>
  )
}

const Screen = ({ route }: { readonly route: ReadonlyArray<string> }) => {
  const [screen = "review", id] = route
  switch (screen) {
    case "write":
      return <Write />
    case "people":
      return id !== undefined && /^\d+$/.test(id) ? <Person id={Number(id)} /> : <People />
    case "import":
      return <Importer />
    case "find":
      return <Find jobId={id !== undefined && /^\d+$/.test(id) ? Number(id) : undefined} />
    case "outbox":
      return <Outbox />
    case "suppressions":
      return <Suppressions />
    default:
      return <Review />
  }
}

export const App = () => {
  const state = useStore(access)
  const route = useRoute()
  useEffect(() => void checkAccess(), [])
  const current = route[0] ?? "review"
  useEffect(() => {
    const label = screens.find((screen) => screen.path === current)?.label ?? "Review"
    document.title = `${label} · Review desk`
  }, [current])

  switch (state.kind) {
    case "checking":
      return (
        <>
          <ServiceProblem />
          <main id="main" class="gate">
            <Busy>Checking access to the API…</Busy>
          </main>
        </>
      )
    case "unreachable":
      return (
        <main id="main" class="gate">
          <h1>Review desk</h1>
          <ProblemNote problem={{ tag: "Unreachable", message: state.message }} />
          <button type="button" onClick={() => void checkAccess()}>
            Try again
          </button>
        </main>
      )
    case "ask":
      return (
        <>
          <ServiceProblem />
          <TokenForm wrong={state.wrong} />
        </>
      )
    default:
      return (
        <>
          <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
            Skip to the content
          </a>
          <header class="top">
            <span class="brand">Review desk</span>
            <nav aria-label="Screens">
              {screens.map((screen) => (
                <a href={`#/${screen.path}`} aria-current={current === screen.path ? "page" : undefined}>
                  {screen.label}
                </a>
              ))}
            </nav>
            <span class="access">
              {state.kind === "open" ? (
                <span title="No API_TOKEN is set: anyone who can reach this address can use the API.">API open (no token set)</span>
              ) : (
                <>
                  <span>Token in use</span>{" "}
                  <button type="button" class="link" onClick={forgetToken}>
                    Forget token
                  </button>
                </>
              )}
            </span>
          </header>
          <ServiceProblem />
          <main id="main" tabIndex={-1}>
            <Screen route={route} />
          </main>
        </>
      )
  }
}
