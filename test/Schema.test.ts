import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck, Layer } from "effect"
import { AppConfig } from "../src/Config.js"
import { Migrations } from "../src/Sql/Migrator.js"
import type { SchemaDescription } from "../src/Sql/Schema.js"
import { expectedSchema } from "../src/Sql/Schema/Expected.js"
import { compare, describeDifference, drift, planRepair } from "../src/Sql/Schema/Policy.js"
import { SqlLive } from "../src/Sql.js"
import { freshDatabase } from "./support/Database.js"

const expected = expectedSchema

/** The expected schema with some of its objects gone, as `DROP … CASCADE`, `DROP INDEX` and the like leave it. */
const damaged = FastCheck.record({
  tables: FastCheck.subarray([...expected.tables]),
  columns: FastCheck.subarray(expected.columns.filter((c) => c.identity === "").map((c) => `${c.table}.${c.name}`)),
  constraints: FastCheck.subarray(expected.constraints.map((c) => `${c.table}.${c.name}`)),
  indexes: FastCheck.subarray(expected.indexes.map((i) => `${i.table}.${i.name}`))
}).map((gone) => {
  const tableGone = (table: string) => gone.tables.includes(table)
  // A foreign key goes with the table it points at, as CASCADE takes it.
  const constraintGone = (c: SchemaDescription["constraints"][number]) =>
    tableGone(c.table) || gone.constraints.includes(`${c.table}.${c.name}`) || (c.references !== null && tableGone(c.references))
  const live: SchemaDescription = {
    tables: expected.tables.filter((t) => !tableGone(t)),
    columns: expected.columns.filter((c) => !tableGone(c.table) && !gone.columns.includes(`${c.table}.${c.name}`)),
    constraints: expected.constraints.filter((c) => !constraintGone(c)),
    indexes: expected.indexes.filter((i) => !tableGone(i.table) && !gone.indexes.includes(`${i.table}.${i.name}`))
  }
  return { gone, live }
})

describe("Schema comparison", () => {
  it.prop("names exactly what is missing: each lost table once, and each lost object of a table still there", { damage: damaged }, ({ damage: { live } }) => {
    const differences = compare(expected, live)
    const liveTables = new Set(live.tables)
    const missingObjects = [
      ...expected.tables.filter((t) => !liveTables.has(t)).map((t) => `table ${t}`),
      ...expected.columns.filter((c) => liveTables.has(c.table) && !live.columns.includes(c)).map((c) => `column ${c.table}.${c.name}`),
      ...expected.constraints.filter((c) => liveTables.has(c.table) && !live.constraints.includes(c)).map((c) => `constraint ${c.table}.${c.name}`),
      ...expected.indexes.filter((i) => liveTables.has(i.table) && !live.indexes.includes(i)).map((i) => `index ${i.table}.${i.name}`)
    ]
    expect(differences.every((d) => d.change === "missing")).toBe(true)
    expect(differences.map((d) => d.kind === "table" ? `table ${d.name}` : `${d.kind} ${d.table}.${d.name}`).sort()).toEqual(missingObjects.sort())
    expect(drift(differences, true)).toEqual(differences)
  })

  it.prop("a repair plan adds back exactly what is missing, and refuses without --recreate-empty when rows went with a table or column", { damage: damaged }, ({ damage: { live } }) => {
    const lostRows = compare(expected, live).some((d) => d.kind === "table" || d.kind === "column")
    const plain = planRepair(expected, live, { recreateEmpty: false })
    expect(plain.lost.length > 0).toBe(lostRows)
    expect(plain.manual).toEqual([])
    expect(plain.createTables).toEqual([])

    const full = planRepair(expected, live, { recreateEmpty: true })
    expect(full.lost).toEqual([])
    const repaired: SchemaDescription = {
      tables: [...live.tables, ...full.createTables],
      columns: [...live.columns, ...full.createTables.flatMap((t) => expected.columns.filter((c) => c.table === t)), ...full.addColumns],
      constraints: [...live.constraints, ...full.addConstraints],
      indexes: [...live.indexes, ...full.createIndexes]
    }
    expect(compare(expected, repaired)).toEqual([])
    // Keys before the foreign keys that need them.
    const firstForeignKey = full.addConstraints.findIndex((c) => c.type === "f")
    if (firstForeignKey >= 0) expect(full.addConstraints.slice(firstForeignKey).every((c) => c.type === "f")).toBe(true)
  })

  it("what only the live schema has is reported, never drift; a changed definition is drift unless newer migrations made it", () => {
    const live: SchemaDescription = {
      tables: [...expected.tables, "social_replies"],
      // A plain column, whatever the first one copied here is (an identity column since social_audit sorts first).
      columns: [...expected.columns, { ...expected.columns[0]!, name: "language", type: "text", notNull: false, default: null, identity: "", generated: "" }],
      constraints: expected.constraints.map((c) =>
        c.name === "social_drafts_status_check" ? { ...c, definition: `${c.definition.slice(0, -4)}, 'bounced'::text])))` } : c
      ),
      indexes: expected.indexes
    }
    const differences = compare(expected, live)
    expect(differences.map(describeDifference)).toEqual([
      "constraint social_drafts.social_drafts_status_check: differs (expected CHECK ((status = ANY (ARRAY['draft'::text, " +
      "'approved'::text, 'rejected'::text, 'sent'::text]))); found CHECK ((status = ANY (ARRAY['draft'::text, " +
      "'approved'::text, 'rejected'::text, 'sent'::text, 'bounced'::text]))))",
      "table social_replies: not made by these migrations",
      `column ${expected.columns[0]!.table}.language: not made by these migrations (text)`
    ])
    expect(drift(differences, false).map((d) => d.name)).toEqual(["social_drafts_status_check"])
    expect(drift(differences, true)).toEqual([])
  })
})

describe("The committed schema snapshot", () => {
  it.live("is what the migrations produce; when this fails, run `npm run schema:snapshot` and commit the result", () =>
    Effect.gen(function*() {
      const { url } = yield* freshDatabase
      const produced = yield* Effect.flatMap(Migrations, (m) => m.expected).pipe(
        Effect.provide(Migrations.Default.pipe(
          Layer.provideMerge(SqlLive),
          Layer.provideMerge(AppConfig.fromMap({ DATABASE_URL: url, LOG_LEVEL: "none" }))
        ))
      )
      expect(produced).toEqual(expectedSchema)
      expect(produced.tables.length).toBeGreaterThan(0)
    }).pipe(Effect.scoped))
})
