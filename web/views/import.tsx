import { useState } from "preact/hooks"
import type { ImportReport, ImportRequest } from "../../src/Domain/Import.js"
import { api, payloadOf } from "../api.js"
import { Choice, optionsOf, ProblemNote, useAction } from "../ui.js"
import { plural } from "../words.js"

type Format = ImportRequest["format"]

const formatNames: Record<Format, string> = {
  linkedin_csv: "LinkedIn Connections.csv",
  csv: "CSV (platform, handle, …)",
  json: "JSON"
}

/** LinkedIn's export starts with notes, then a header naming First Name and URL. */
const guessFormat = (name: string, text: string): Format =>
  name.toLowerCase().endsWith(".json") || /^\s*[[{]/.test(text)
    ? "json"
    : /first name/i.test(text.slice(0, 4000)) && /\burl\b/i.test(text.slice(0, 4000))
    ? "linkedin_csv"
    : "csv"

const request = (format: Format, text: string): ImportRequest => {
  if (format !== "json") return { format, csv: text }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new Error(`The file is not valid JSON: ${error instanceof Error ? error.message : String(error)}`)
  }
  const profiles = Array.isArray(parsed) ? parsed : (parsed as { profiles?: unknown })?.profiles
  if (!Array.isArray(profiles)) throw new Error("The JSON file must hold an array of profiles, or an object with a profiles array.")
  return { format: "json", profiles }
}

/** LinkedIn's export, a CSV or a JSON file into profiles; the report names each rejected row by its line. */
export const Importer = () => {
  const [file, setFile] = useState<File | null>(null)
  const [format, setFormat] = useState<Format | "auto">("auto")
  const [report, setReport] = useState<{ readonly report: ImportReport; readonly format: Format; readonly file: string } | null>(null)
  const action = useAction()

  const submit = () =>
    action.run(async () => {
      if (file === null) return
      const text = await file.text()
      const chosen = format === "auto" ? guessFormat(file.name, text) : format
      const body = request(chosen, text)
      setReport(null)
      const result = await api((c) => c.profiles.import(payloadOf(body)))
      setReport({ report: result, format: chosen, file: file.name })
    })

  return (
    <div class="import">
      <h1>Import people</h1>
      <p>
        LinkedIn has no public search: export your connections (Settings → Data privacy → Get a copy of your data → Connections) and
        import <code>Connections.csv</code> here. A CSV with a header row <code>platform,handle</code> and any of{" "}
        <code>external_id, display_name, bio, location, url, followers_count</code> works too, and so does JSON with the same fields in
        camelCase. People already known are updated, not duplicated.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          void submit()
        }}
      >
        <label class="field">
          <span>File</span>
          <input
            type="file"
            accept=".csv,.json,text/csv,application/json"
            onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
            required
          />
        </label>
        <Choice
          label="Format"
          value={format}
          options={[["auto", "Tell from the file"], ...optionsOf(["linkedin_csv", "csv", "json"] as const, formatNames)]}
          onChange={setFormat}
        />
        <button type="submit" class="primary" disabled={file === null || action.busy}>
          {action.busy ? "Importing…" : "Import"}
        </button>
      </form>
      <ProblemNote problem={action.problem} />
      {report !== null && (
        <div class="report" role="status">
          <p>
            {report.file} ({formatNames[report.format]}): {plural(report.report.accepted, "new person", "new people")},{" "}
            {report.report.updated} updated, {report.report.rejected.length} rejected.{" "}
            {report.report.accepted + report.report.updated > 0 && <a href="#/people">See them</a>}
          </p>
          {report.report.rejected.length > 0 && (
            <table class="list">
              <caption>Rejected rows</caption>
              <thead>
                <tr>
                  <th scope="col">{report.format === "json" ? "Item" : "Line"}</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {report.report.rejected.map((r) => (
                  <tr>
                    <td>{r.row}</td>
                    <td>{r.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  )
}
