import type { SqlClient, Statement } from "@effect/sql"
import { Duration, Effect } from "effect"

/** How one table holds leased work: discovery jobs and messages both live in one. */
export interface QueueTable {
  readonly table: string
  /** The alias the table has in the claim statement, for `returning` and `join` fragments. */
  readonly alias: string
  /** Statuses in which a row waits to be claimed once its due time has passed. */
  readonly waiting: readonly [string, ...Array<string>]
  /** The status of a row while a worker holds its lease. */
  readonly claimed: string
  /** When a waiting row may be claimed (null: at once). */
  readonly dueAt: string
  /** Stamped at a row's first claim and kept: when work on it began. */
  readonly firstClaimedAt: string
}

const millis = (duration: Duration.Duration) => Math.max(1, Math.round(Duration.toMillis(duration)))

/**
 * The statements of a leased queue on PostgreSQL, parametrised by its table: claim the next due row with
 * `FOR UPDATE SKIP LOCKED` (or one whose lease ran out), renew the lease, settle fenced by the lease's owner,
 * hand a row back, and fail rows abandoned too often. Every claim carries its own owner token, so a worker
 * whose lease was taken over can no longer touch the row; while nobody else has claimed it, its late outcome
 * still counts (a message it did deliver is recorded). Repositories run these inside their own transactions
 * and map their errors.
 */
export const makeQueue = (sql: SqlClient.SqlClient, spec: QueueTable) => {
  const table = sql(spec.table)
  const alias = sql(spec.alias)
  const dueAt = sql(spec.dueAt)
  const firstClaimedAt = sql(spec.firstClaimedAt)
  const due = sql`((status IN ${sql.in(spec.waiting)} AND (${dueAt} IS NULL OR ${dueAt} <= now()))
    OR (status = ${spec.claimed} AND lease_expires_at < now()))`

  /** Only the claim that owns the row may write its outcome. */
  const fenced = (id: number, owner: string) => sql`id = ${id} AND lease_owner = ${owner} AND status = ${spec.claimed}`

  const changed = <E>(statement: Effect.Effect<ReadonlyArray<unknown>, E>) => Effect.map(statement, (rows) => rows.length > 0)

  return {
    fenced,

    /**
     * Takes the next due row (within `where`), or one whose lease ran out, for `owner`: claimed, one attempt
     * more. `join` adds a table the returned columns may read (`from` with its join condition).
     */
    claim: <A extends object>(owner: string, lease: Duration.Duration, options: {
      readonly returning: Statement.Fragment
      readonly where?: Statement.Fragment | undefined
      readonly join?: { readonly from: Statement.Fragment; readonly on: Statement.Fragment } | undefined
    }) =>
      sql<A>`UPDATE ${table} AS ${alias} SET status = ${spec.claimed}, lease_owner = ${owner},
          lease_expires_at = now() + ${millis(lease)} * interval '1 millisecond', attempts = ${alias}.attempts + 1,
          ${firstClaimedAt} = coalesce(${alias}.${firstClaimedAt}, now()), ${dueAt} = NULL, updated_at = now()
        ${options.join !== undefined ? sql`FROM ${options.join.from}` : sql``}
        WHERE ${options.join !== undefined ? sql`${options.join.on} AND` : sql``} ${alias}.id = (
          SELECT id FROM ${table}
          WHERE ${due} ${options.where !== undefined ? sql`AND ${options.where}` : sql``}
          ORDER BY ${dueAt} NULLS FIRST, id
          FOR UPDATE SKIP LOCKED LIMIT 1)
        RETURNING ${options.returning}`,

    /**
     * Fails the rows whose lease ran out after `maxAttempts` claims: a row that keeps killing its worker (or
     * outlasting its lease) is not claimed forever. `failed` says how, in the table's own columns.
     */
    abandon: (maxAttempts: Statement.Fragment | number, failed: Statement.Fragment, where?: Statement.Fragment) =>
      sql`UPDATE ${table} SET ${failed}, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE status = ${spec.claimed} AND lease_expires_at < now() AND attempts >= ${maxAttempts}
          ${where !== undefined ? sql`AND ${where}` : sql``}`,

    /** Extends the lease; false when the row is no longer this claim's. */
    renew: (id: number, owner: string, lease: Duration.Duration) =>
      changed(sql`UPDATE ${table} SET lease_expires_at = now() + ${millis(lease)} * interval '1 millisecond'
        WHERE ${fenced(id, owner)} RETURNING id`),

    /** Writes the claim's outcome and ends its lease; false when the row is no longer this claim's. */
    settle: (id: number, owner: string, assignments: Statement.Fragment) =>
      changed(sql`UPDATE ${table} SET ${assignments}, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE ${fenced(id, owner)} RETURNING id`),

    /**
     * Hands a row back unfinished (shutdown): waiting and due at once. `giveAttemptBack` when the work had
     * no effect outside; a message whose delivery may have begun keeps its attempt, so its retry checks first.
     */
    release: (id: number, owner: string, options: { readonly giveAttemptBack: boolean }) =>
      changed(sql`UPDATE ${table} SET status = ${spec.waiting[0]}, ${dueAt} = NULL,
          ${options.giveAttemptBack ? sql`attempts = greatest(attempts - 1, 0),` : sql``}
          lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE ${fenced(id, owner)} RETURNING id`)
  } as const
}

export type Queue = ReturnType<typeof makeQueue>
