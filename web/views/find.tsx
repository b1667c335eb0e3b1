import { Either, ParseResult, Schema } from "effect"
import { useEffect, useState } from "preact/hooks"
import { DiscoverRequest, type DiscoveryJob, type DiscoveryJobId } from "../../src/Domain/DiscoveryJob.js"
import { Platform } from "../../src/Domain/Platform.js"
import { api, payloadOf, type Problem } from "../api.js"
import { asProblem, Choice, optionsOf, ProblemNote, useAction, useInterval } from "../ui.js"
import { jobStatusName, platformName, relative, when } from "../words.js"

interface FieldSpec {
  readonly name: string
  readonly label: string
  readonly kind: "text" | "number" | "date" | "mode"
  readonly hint?: string
}

/** The filters each platform takes (see DiscoverRequest): the form follows the platform. */
const fieldsOf: Record<Exclude<Platform, "linkedin">, ReadonlyArray<FieldSpec>> = {
  bluesky: [
    { name: "query", label: "Search words", kind: "text", hint: "Required. Bluesky's people search (names, handles, bios)." },
    { name: "limit", label: "At most this many people", kind: "number", hint: "1 to 1000; 100 when empty." }
  ],
  mastodon: [
    { name: "instance", label: "Instance", kind: "text", hint: "A host such as mastodon.social; the configured default when empty." },
    { name: "mode", label: "Source", kind: "mode" },
    { name: "query", label: "Search words", kind: "text", hint: "Required for a search; filters the directory otherwise." },
    { name: "limit", label: "At most this many people", kind: "number", hint: "1 to 1000; 100 when empty." }
  ],
  github: [
    { name: "query", label: "Search words", kind: "text" },
    { name: "location", label: "Location", kind: "text" },
    { name: "language", label: "Language", kind: "text", hint: "A programming language, such as rust." },
    { name: "minFollowers", label: "At least this many followers", kind: "number" },
    { name: "minRepos", label: "At least this many repositories", kind: "number" },
    { name: "createdAfter", label: "Account created after", kind: "date" },
    { name: "limit", label: "At most this many people", kind: "number", hint: "1 to 1000; 100 when empty. Give at least one filter." }
  ]
}

const JobsKey = "social-outreach.jobs"
const storedJobs = (): ReadonlyArray<number> => JSON.parse(sessionStorage.getItem(JobsKey) ?? "[]") as Array<number>
const finished = (job: DiscoveryJob) => job.status === "succeeded" || job.status === "failed" || job.status === "cancelled"

const labelOf = (platform: Platform, name: string) =>
  platform === "linkedin" ? name : fieldsOf[platform].find((f) => f.name === name)?.label ?? name

/** The same rules the service applies, said before anything is sent, naming the field by its label. */
const validate = (platform: Platform, values: Record<string, string>) => {
  const filters: Record<string, unknown> = {}
  if (platform !== "linkedin") {
    for (const field of fieldsOf[platform]) {
      const value = (values[field.name] ?? "").trim()
      if (value !== "") filters[field.name] = field.kind === "number" ? Number(value) : value
    }
  }
  return Either.mapLeft(Schema.decodeUnknownEither(DiscoverRequest)({ platform, filters }), (error) =>
    ParseResult.ArrayFormatter.formatErrorSync(error)
      .map((issue) => {
        const field = issue.path.length > 1 ? String(issue.path[issue.path.length - 1]) : undefined
        return field !== undefined && field !== "filters" ? `${labelOf(platform, field)}: ${issue.message}` : issue.message
      })
      .filter((message, i, all) => all.indexOf(message) === i)
      .join("; "))
}

/** Start discovery jobs with each platform's filters, and watch the ones started from this browser tab. */
export const Find = () => {
  const [platform, setPlatform] = useState<Platform>("bluesky")
  const [values, setValues] = useState<Record<string, string>>({ mode: "search" })
  const [jobIds, setJobIds] = useState<ReadonlyArray<number>>(storedJobs)
  const action = useAction()

  const start = () =>
    action.run(async () => {
      const request = validate(platform, values)
      if (Either.isLeft(request)) throw { tag: "Invalid", message: request.left } satisfies Problem
      const job = await api((c) => c.discovery.start(payloadOf(request.right)))
      const ids = [job.id, ...jobIds.filter((id) => id !== job.id)].slice(0, 20)
      sessionStorage.setItem(JobsKey, JSON.stringify(ids))
      setJobIds(ids)
    })

  return (
    <div class="find">
      <h1>Find people</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          void start()
        }}
      >
        <Choice label="Platform" value={platform} options={optionsOf(Platform.literals, platformName)} onChange={setPlatform} />
        {platform === "linkedin" ? (
          <p class="hint">
            LinkedIn has no public people search and forbids automated collection. Export your own connections and{" "}
            <a href="#/import">import Connections.csv</a>.
          </p>
        ) : (
          <>
            {fieldsOf[platform].map((field) =>
              field.kind === "mode" ? (
                <Choice
                  label={field.label}
                  value={values.mode ?? "search"}
                  options={[["search", "Search (the instance's known accounts)"], ["directory", "Profile directory (people who opted in)"]]}
                  onChange={(mode) => setValues({ ...values, mode })}
                />
              ) : (
                <label class="field">
                  <span>{field.label}</span>
                  <input
                    type={field.kind as "text"}
                    min={field.kind === "number" ? 0 : undefined}
                    value={values[field.name] ?? ""}
                    onInput={(e) => setValues({ ...values, [field.name]: e.currentTarget.value })}
                  />
                  {field.hint !== undefined && <small>{field.hint}</small>}
                </label>
              )
            )}
            <button type="submit" class="primary" disabled={action.busy}>
              {action.busy ? "Starting…" : "Start finding"}
            </button>
          </>
        )}
      </form>
      <ProblemNote problem={action.problem} />
      <Jobs ids={jobIds} />
    </div>
  )
}

const describeFilters = (filters: Record<string, unknown>) =>
  Object.entries(filters)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ")

/**
 * The jobs started from this tab, polled while any runs. The service has no list of all jobs yet; when it
 * does, this list shows them all.
 */
const Jobs = ({ ids }: { readonly ids: ReadonlyArray<number> }) => {
  const [jobs, setJobs] = useState<ReadonlyMap<number, DiscoveryJob>>(new Map())
  const [problem, setProblem] = useState<Problem | null>(null)
  const [, setNow] = useState(Date.now())
  const cancel = useAction()

  const refresh = (which: ReadonlyArray<number>) =>
    Promise.all(which.map((id) => api((c) => c.discovery.get({ path: { id: id as DiscoveryJobId } })))).then(
      (loaded) => {
        setJobs((before) => new Map([...before, ...loaded.map((job) => [job.id, job] as const)]))
        setProblem(null)
        setNow(Date.now())
      },
      (error: unknown) => setProblem(asProblem(error))
    )

  useEffect(() => void refresh(ids.filter((id) => !jobs.has(id))), [ids])
  const running = ids.filter((id) => {
    const job = jobs.get(id)
    return job === undefined || !finished(job)
  })
  useInterval(() => void refresh(running), 1000, running.length > 0)

  if (ids.length === 0) return null
  return (
    <section aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Jobs started here</h2>
      <ProblemNote problem={problem ?? cancel.problem} />
      <ul class="jobs">
        {ids.map((id) => {
          const job = jobs.get(id)
          if (job === undefined) return <li>Job {id}: loading…</li>
          return (
            <li data-testid={`job-${job.id}`}>
              <p>
                <strong>
                  Job {job.id} on {platformName[job.platform]}
                </strong>{" "}
                ({describeFilters(job.filters)}): <span class={`chip s-${job.status}`}>{jobStatusName[job.status]}</span>
              </p>
              <p class="progress" aria-live="polite">
                {job.pagesFetched} pages · {job.profilesFound} found, {job.profilesNew} new · attempt {job.attempts} of {job.maxAttempts}
              </p>
              {job.nextRunAt !== null && !finished(job) && (
                <p class="meta">
                  {job.status === "rate_limited" ? "Resumes" : "Next try"} at {when(job.nextRunAt)} ({relative(job.nextRunAt)})
                </p>
              )}
              {job.lastError !== null && <p class="meta">The platform said: {job.lastError}</p>}
              {!finished(job) && (
                <button
                  type="button"
                  disabled={cancel.busy}
                  onClick={() =>
                    void cancel.run(async () => {
                      const stopped = await api((c) => c.discovery.cancel({ path: { id: job.id } }))
                      setJobs((before) => new Map([...before, [stopped.id, stopped]]))
                    })}
                >
                  Cancel job {job.id}
                </button>
              )}
              {job.profilesFound > 0 && (
                <p>
                  <a href={`#/people`}>See the people</a>
                </p>
              )}
            </li>
          )
        })}
      </ul>
    </section>
  )
}
