import { Effect } from "effect"
import { DatabaseUnavailable } from "./Domain/Database.js"
import { ShuttingDown } from "./Domain/Server.js"
import { Supervisor } from "./Jobs/Supervisor.js"
import { Lifecycle } from "./Lifecycle.js"
import { SchemaState } from "./Sql/SchemaState.js"

// Render counts a check that takes over 5 s as failed; answer before that.
const ReadyWithin = "3 seconds"

/**
 * Readiness: not shutting down, the database answers and every table the service needs exists. The
 * background loops are reported, not judged: one platform's broken worker must not take the API down.
 */
export class Health extends Effect.Service<Health>()("Health", {
  effect: Effect.gen(function*() {
    const schema = yield* SchemaState
    const lifecycle = yield* Lifecycle
    const supervisor = yield* Supervisor
    const ready = Effect.fn("Health.ready")(function*() {
      if (yield* lifecycle.isShuttingDown) {
        return yield* new ShuttingDown({ message: "The service is shutting down; new requests go to another instance" })
      }
      yield* schema.requireNow.pipe(
        // disconnect: a database that does not answer must not hold the answer past the bound.
        Effect.disconnect,
        Effect.timeoutFail({
          duration: ReadyWithin,
          onTimeout: () => new DatabaseUnavailable({ message: `The database did not answer within ${ReadyWithin}` })
        })
      )
      return { status: "ready" as const, workers: yield* supervisor.status }
    })
    return { ready } as const
  }),
  dependencies: [SchemaState.Default, Supervisor.Default]
}) {}
