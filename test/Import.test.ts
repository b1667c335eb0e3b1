import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { call, pgAppLayer } from "./support/App.js"

// The shape of LinkedIn's real export: a notes preamble, then the header row.
const connections = `Notes:
"When exporting your connection data, you may notice that some of the email addresses are missing. You will only see email addresses for connections who have allowed their connections to see or download their email address."

First Name,Last Name,URL,Email Address,Company,Position,Connected On
Ada,Lovelace,https://www.linkedin.com/in/ada-lovelace,,Analytical Engines,Programmer,01 Jan 2024
Grace,Hopper,https://www.linkedin.com/in/gracehopper/,grace@example.com,US Navy,"Rear Admiral, Computing",15 Mar 2023
Alan,Turing,not-a-url,,Bletchley Park,Cryptanalyst,02 Feb 2022
Katherine,Johnson,https://linkedin.com/in/kjohnson,,NASA,,10 Oct 2021
`

const count = (platform: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ n: number }>`SELECT count(*)::int AS n FROM social_profiles WHERE platform = ${platform}`.pipe(
      Effect.map((rows) => rows[0]!.n),
      Effect.orDie
    ))

layer(pgAppLayer(), { timeout: "60 seconds", excludeTestServices: true })("Profile import", (it) => {
  it.effect("LinkedIn's Connections.csv: rows checked one by one, a re-import updates instead of duplicating", () =>
    Effect.gen(function*() {
      const first = yield* call("POST", "/api/social/profiles/import", { body: { format: "linkedin_csv", csv: connections } })
      expect(first.status).toBe(200)
      expect(first.body).toEqual({
        accepted: 3,
        updated: 0,
        rejected: [{ row: 7, reason: expect.stringContaining("LinkedIn profile URL") }]
      })
      const grace = yield* call("GET", "/api/social/profiles?platform=linkedin&q=grace")
      expect(grace.body.items[0]).toMatchObject({
        handle: "gracehopper",
        externalId: "https://www.linkedin.com/in/gracehopper",
        displayName: "Grace Hopper",
        bio: "Rear Admiral, Computing at US Navy",
        source: "import",
        discoveryJobId: null
      })
      const again = yield* call("POST", "/api/social/profiles/import", { body: { format: "linkedin_csv", csv: connections } })
      expect(again.body).toMatchObject({ accepted: 0, updated: 3 })
      expect(yield* count("linkedin")).toBe(3)
    }))

  it.effect("the generic CSV layout and JSON, with reasons for the rows that are wrong", () =>
    Effect.gen(function*() {
      const csv = "platform,handle,external_id,display_name,followers_count\n" +
        "github,octo,583231,The Octocat,9000\n" +
        "myspace,tom,,Tom,\n" +
        "github,,x,Nobody,\n" +
        "github,hubot,,Hubot,lots\n"
      const fromCsv = yield* call("POST", "/api/social/profiles/import", { body: { format: "csv", csv } })
      expect(fromCsv.status).toBe(200)
      expect(fromCsv.body.accepted).toBe(1)
      expect(fromCsv.body.rejected.map((r: { row: number }) => r.row)).toEqual([3, 4, 5])
      expect(fromCsv.body.rejected[0].reason).toContain("platform")
      expect(fromCsv.body.rejected[1].reason).toContain("handle")
      expect(fromCsv.body.rejected[2].reason).toContain("followersCount")

      const fromJson = yield* call("POST", "/api/social/profiles/import", {
        body: { format: "json", profiles: [{ platform: "mastodon", handle: "alice@example.social", bio: "hi" }, { handle: "nobody" }] }
      })
      expect(fromJson.body).toMatchObject({ accepted: 1, updated: 0, rejected: [{ row: 2 }] })
    }))

  it.effect("a file that is not an import at all is a 400 and writes nothing", () =>
    Effect.gen(function*() {
      const before = yield* count("linkedin")
      const notLinkedin = yield* call("POST", "/api/social/profiles/import", { body: { format: "linkedin_csv", csv: "name,email\nA,a@b.c\n" } })
      expect(notLinkedin.status).toBe(400)
      expect(notLinkedin.body).toMatchObject({ _tag: "ImportRejected", message: expect.stringContaining("First Name") })
      const broken = yield* call("POST", "/api/social/profiles/import", {
        body: { format: "linkedin_csv", csv: "First Name,Last Name,URL\n\"Ada,Lovelace,https://www.linkedin.com/in/x\n" }
      })
      expect(broken.status).toBe(400)
      expect(broken.body.message).toContain("could not be read")
      const unknownFormat = yield* call("POST", "/api/social/profiles/import", { body: { format: "xlsx", csv: "" } })
      expect(unknownFormat.status).toBe(400)
      expect(yield* count("linkedin")).toBe(before)
    }))
})
