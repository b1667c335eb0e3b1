import { Either, ParseResult, Schema } from "effect"
import { useEffect, useState } from "preact/hooks"
import { DiscoverRequest, type DiscoveryJob, type DiscoveryJobId, DiscoveryJobStatus } from "../../src/Domain/DiscoveryJob.js"
import { Platform } from "../../src/Domain/Platform.js"
import { api, payloadOf, type Problem } from "../api.js"
import { cursorOf } from "../paging.js"
import { Any, Busy, Choice, optionsOf, Pager, ProblemNote, useAction, useInterval, useLoad, usePages } from "../ui.js"
import { jobStatusName, platformName, plural, relative, when } from "../words.js"

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

/**
 * Start discovery jobs with each platform's filters, and watch every job, wherever it was started: one job
 * when the address names it (`#/find/12`), then the list, newest first.
 */
export const Find = ({ jobId }: { readonly jobId?: number | undefined }) => {
  const [platform, setPlatform] = useState<Platform>("bluesky")
  const [values, setValues] = useState<Record<string, string>>({ mode: "search" })
  const [started, setStarted] = useState(0)
  const action = useAction()

  const start = () =>
    action.run(async () => {
      const request = validate(platform, values)
      if (Either.isLeft(request)) throw { tag: "Invalid", message: request.left } satisfies Problem
      await api((c) => c.discovery.start(payloadOf(request.right)))
      setStarted((n) => n + 1)
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
      {jobId !== undefined && <OneJob id={jobId} />}
      <Jobs started={started} />
    </div>
  )
}

const describeFilters = (filters: Record<string, unknown>) =>
  Object.entries(filters)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ")

/** A job's state and progress in words, with the platform's own words for what went wrong, and a way to stop it. */
const JobCard = ({ job, onChange }: { readonly job: DiscoveryJob; readonly onChange: (job: DiscoveryJob) => void }) => {
  const cancel = useAction()
  return (
    <li data-testid={`job-${job.id}`}>
      <p>
        <strong>
          Job {job.id} on {platformName[job.platform]}
        </strong>{" "}
        ({describeFilters(job.filters)}): <span class={`chip s-${job.status}`}>{jobStatusName[job.status]}</span>
      </p>
      <p class="progress" aria-live="polite">
        {plural(job.pagesFetched, "page")} · {job.profilesFound} found, {job.profilesNew} new · attempt {job.attempts} of {job.maxAttempts}
      </p>
      <p class="meta">
        Started {when(job.createdAt)}
        {job.finishedAt !== null && <> · ended {when(job.finishedAt)}</>}
      </p>
      {job.nextRunAt !== null && !finished(job) && (
        <p class="meta">
          {job.status === "rate_limited" ? "Resumes" : "Next try"} at {when(job.nextRunAt)} ({relative(job.nextRunAt)})
        </p>
      )}
      {job.lastError !== null && <p class="meta">The platform said: {job.lastError}</p>}
      <div class="actions">
        {!finished(job) && (
          <button
            type="button"
            disabled={cancel.busy}
            onClick={() => void cancel.run(async () => onChange(await api((c) => c.discovery.cancel({ path: { id: job.id } }))))}
          >
            Cancel job {job.id}
          </button>
        )}
        {job.profilesFound > 0 && <a href={`#/people`}>See the people</a>}
      </div>
      <ProblemNote problem={cancel.problem} />
    </li>
  )
}

const PageSize = 20

/** One job the address names (a person's page links here), followed while it runs. */
const OneJob = ({ id }: { readonly id: number }) => {
  const loaded = useLoad(() => api((c) => c.discovery.get({ path: { id: id as DiscoveryJobId } })), [id])
  const [job, setJob] = useState<DiscoveryJob | undefined>(undefined)
  useEffect(() => setJob(loaded.data), [loaded.data])
  useInterval(loaded.reload, 1000, job !== undefined && !finished(job) && !loaded.loading)
  return (
    <section aria-labelledby="job-heading">
      <h2 id="job-heading">Job {id}</h2>
      <ProblemNote problem={loaded.problem} />
      {job === undefined ? loaded.problem === null && <Busy>Loading job {id}…</Busy> : (
        <ul class="jobs">
          <JobCard job={job} onChange={setJob} />
        </ul>
      )}
    </section>
  )
}

/**
 * Every job, newest first, whoever started it, filtered by status and platform, in pages. Refreshed every
 * second while a job shown runs, and every 3 seconds on the first page, so jobs started elsewhere show up.
 */
const Jobs = ({ started }: { readonly started: number }) => {
  const [status, setStatus] = useState<DiscoveryJobStatus | "">("")
  const [platform, setPlatform] = useState<Platform | "">("")
  const pages = usePages([status, platform, started])
  const list = useLoad(
    () =>
      api((c) =>
        c.discovery.list({
          urlParams: {
            ...(status !== "" ? { status } : {}),
            ...(platform !== "" ? { platform } : {}),
            ...(pages.cursor !== undefined ? { cursor: cursorOf(pages.cursor) } : {}),
            limit: PageSize
          }
        })
      ),
    [status, platform, pages.cursor, started]
  )
  const [replaced, setReplaced] = useState<ReadonlyMap<number, DiscoveryJob>>(new Map())
  useEffect(() => setReplaced(new Map()), [list.data])
  const items = (list.data?.items ?? []).map((job) => replaced.get(job.id) ?? job)
  const running = items.some((job) => !finished(job))
  useInterval(list.reload, running ? 1000 : 3000, (running || pages.page === 1) && !list.loading)
  const [, setNow] = useState(0)
  // "in 3 s" counts down between refreshes.
  useInterval(() => setNow(Date.now()), 1000, running)

  return (
    <section aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Jobs</h2>
      <div class="filters">
        <Choice label="Status" value={status} options={[Any, ...optionsOf(DiscoveryJobStatus.literals, jobStatusName)]} onChange={setStatus} />
        <Choice label="Platform" value={platform} options={[Any, ...optionsOf(Platform.literals, platformName)]} onChange={setPlatform} />
      </div>
      <ProblemNote problem={list.problem} />
      {list.data === undefined ? list.problem === null && <Busy>Loading jobs…</Busy> : items.length === 0 ? (
        <p class="empty">{status === "" && platform === "" ? "No jobs yet: start one above." : "No job matches."}</p>
      ) : (
        <ul class="jobs">
          {items.map((job) => (
            <JobCard key={job.id} job={job} onChange={(changed) => setReplaced((all) => new Map([...all, [changed.id, changed]]))} />
          ))}
        </ul>
      )}
      <Pager label="Jobs" page={pages.page} nextCursor={list.data?.nextCursor} onNext={pages.next} onPrevious={pages.previous} />
    </section>
  )
}
