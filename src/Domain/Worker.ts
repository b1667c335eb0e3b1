import { Schema } from "effect"

/** How one pool of background loops is doing, as readiness reports it. */
export const WorkerStatus = Schema.Struct({
  pool: Schema.String,
  loops: Schema.Int,
  restarts: Schema.Int.annotations({ description: "Loops restarted after a crash since the process started" }),
  failing: Schema.Boolean.annotations({ description: "Loops of this pool crashed 3 times or more in the last 10 minutes" }),
  lastError: Schema.NullOr(Schema.String).annotations({ description: "The kind of the last crash (its details are in the log)" }),
  lastErrorAt: Schema.NullOr(Schema.String)
}).annotations({ identifier: "WorkerStatus" })
export type WorkerStatus = typeof WorkerStatus.Type
