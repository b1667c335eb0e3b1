import { SqlClient, type SqlError } from "@effect/sql"
import { Effect } from "effect"

/**
 * A schema as the catalog knows it: what `migrate status`, startup and `migrate repair` compare. Definitions
 * come from PostgreSQL's own deparsers (`format_type`, `pg_get_expr`, `pg_get_constraintdef`,
 * `pg_get_indexdef`) with the schema name taken out, so a description of a scratch copy made by the
 * migrations and one of the live schema compare equal when the objects are equal.
 */
export interface Column {
  readonly table: string
  readonly name: string
  readonly type: string
  readonly notNull: boolean
  readonly default: string | null
  /** `a` GENERATED ALWAYS, `d` BY DEFAULT, "" none. */
  readonly identity: string
  /** `s` stored generated column (its expression is in `default`), "" none. */
  readonly generated: string
}

export interface Constraint {
  readonly table: string
  readonly name: string
  /** `p` primary key, `u` unique, `f` foreign key, `c` check, `x` exclusion, `t` trigger. */
  readonly type: string
  readonly definition: string
  readonly columns: ReadonlyArray<string>
  /** Foreign keys only: the referenced table and columns, and the ON DELETE rule (`a` no action, `r`, `c`, `n`, `d`). */
  readonly references: string | null
  readonly referencedColumns: ReadonlyArray<string>
  readonly onDelete: string | null
}

export interface Index {
  readonly table: string
  readonly name: string
  readonly definition: string
  readonly valid: boolean
}

export interface SchemaDescription {
  readonly tables: ReadonlyArray<string>
  readonly columns: ReadonlyArray<Column>
  readonly constraints: ReadonlyArray<Constraint>
  /** Indexes that do not belong to a constraint (those come and go with their constraint). */
  readonly indexes: ReadonlyArray<Index>
}

export const empty: SchemaDescription = { tables: [], columns: [], constraints: [], indexes: [] }

/** The Migrator's own bookkeeping table: never part of a comparison. */
export const MigrationsTable = "effect_sql_migrations"

/**
 * One catalog query describing every table of the current schema (the first of `search_path`). NOT NULL
 * constraints (catalogued from PostgreSQL 18 on) are left to `Column.notNull`, so versions compare alike.
 */
export const describeCurrentSchema: Effect.Effect<
  SchemaDescription & { readonly migrationsTable: boolean },
  SqlError.SqlError,
  SqlClient.SqlClient
> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ schema: string; description: string }>`
    WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = current_schema()),
    rel AS (
      SELECT c.oid, c.relname FROM pg_class c JOIN ns ON c.relnamespace = ns.oid
      WHERE c.relkind IN ('r', 'p') AND c.relname <> ${MigrationsTable}
    )
    SELECT (SELECT quote_ident(nspname) FROM ns) AS schema, json_build_object(
      'migrationsTable', EXISTS (SELECT 1 FROM pg_class c JOIN ns ON c.relnamespace = ns.oid WHERE c.relname = ${MigrationsTable}),
      'tables', (SELECT coalesce(json_agg(relname ORDER BY relname), '[]') FROM rel),
      'columns', (SELECT coalesce(json_agg(json_build_object(
          'table', r.relname, 'name', a.attname, 'number', a.attnum, 'type', format_type(a.atttypid, a.atttypmod),
          'notNull', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid),
          'identity', a.attidentity, 'generated', a.attgenerated) ORDER BY r.relname, a.attnum), '[]')
        FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum),
      'constraints', (SELECT coalesce(json_agg(json_build_object(
          'table', r.relname, 'name', con.conname, 'type', con.contype, 'definition', pg_get_constraintdef(con.oid),
          'keys', con.conkey, 'references', f.relname, 'referencedKeys', con.confkey,
          'onDelete', CASE WHEN con.contype = 'f' THEN con.confdeltype END) ORDER BY r.relname, con.conname), '[]')
        FROM rel r JOIN pg_constraint con ON con.conrelid = r.oid LEFT JOIN pg_class f ON f.oid = con.confrelid
        WHERE con.contype <> 'n'),
      'indexes', (SELECT coalesce(json_agg(json_build_object(
          'table', r.relname, 'name', ic.relname, 'definition', pg_get_indexdef(i.indexrelid), 'valid', i.indisvalid)
          ORDER BY r.relname, ic.relname), '[]')
        FROM rel r JOIN pg_index i ON i.indrelid = r.oid JOIN pg_class ic ON ic.oid = i.indexrelid
        LEFT JOIN pg_constraint owner ON owner.conindid = i.indexrelid AND owner.conrelid = r.oid
        WHERE owner.oid IS NULL)
    )::text AS description`
  const { description, schema } = rows[0]!
  const parsed = JSON.parse(description) as {
    readonly migrationsTable: boolean
    readonly tables: ReadonlyArray<string>
    readonly columns: ReadonlyArray<Column & { readonly number: number }>
    readonly constraints: ReadonlyArray<
      Omit<Constraint, "columns" | "referencedColumns"> & {
        readonly keys: ReadonlyArray<number> | null
        readonly referencedKeys: ReadonlyArray<number> | null
      }
    >
    readonly indexes: ReadonlyArray<Index>
  }
  // Key columns come as numbers (a subquery per constraint made the query slow to plan): named here.
  const names = new Map(parsed.columns.map((c) => [`${c.table}.${c.number}`, c.name]))
  const named = (table: string | null, keys: ReadonlyArray<number> | null) =>
    (keys ?? []).map((n) => names.get(`${table}.${n}`) ?? String(n))
  // pg_get_indexdef always qualifies the table (a temporary one as `pg_temp.`); the other deparsers qualify
  // only what is outside search_path, which none of ours is.
  const unqualify = (text: string) => text.split(`${schema ?? "public"}.`).join("").split("pg_temp.").join("")
  return {
    migrationsTable: parsed.migrationsTable,
    tables: parsed.tables,
    columns: parsed.columns.map(({ number: _, ...column }) => column),
    constraints: parsed.constraints.map(({ keys, referencedKeys, ...c }) => ({
      table: c.table,
      name: c.name,
      type: c.type,
      definition: unqualify(c.definition),
      columns: named(c.table, keys),
      references: c.references,
      referencedColumns: named(c.references, referencedKeys),
      onDelete: c.onDelete
    })),
    indexes: parsed.indexes.map((i) => ({ ...i, definition: unqualify(i.definition) }))
  }
})

/**
 * The schema a list of migrations produces: they run, in order, in this session's temporary schema
 * (they use unqualified names), which is then described and rolled back. Needs only the TEMPORARY
 * privilege, so a role that may not create tables can still compute it. Nested in a transaction, it uses a
 * savepoint and leaves the outer transaction as it was.
 */
export const describeProducedBy = <E, R>(
  migrations: ReadonlyArray<Effect.Effect<unknown, E, R>>
): Effect.Effect<SchemaDescription, E | SqlError.SqlError, SqlClient.SqlClient | R> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rollback = Symbol("rollback")
    let described: SchemaDescription | undefined
    yield* sql.withTransaction(
      Effect.gen(function*() {
        yield* sql`SET LOCAL search_path TO pg_temp`
        for (const migration of migrations) yield* migration
        const { migrationsTable: _, ...description } = yield* describeCurrentSchema
        described = description
        return yield* Effect.fail(rollback)
      })
    ).pipe(Effect.catchIf((error): error is typeof rollback => error === rollback, () => Effect.void))
    return described ?? empty
  })

export const sqlIdent = (name: string) => `"${name.replace(/"/g, "\"\"")}"`
