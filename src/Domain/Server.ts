import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"

/** An unexpected failure: the body names the request, the log under the same id holds the detail. */
export class InternalServerError extends Schema.TaggedError<InternalServerError>()(
  "InternalServerError",
  { requestId: Schema.String, message: Schema.String },
  HttpApiSchema.annotations({ status: 500 })
) {
  static readonly of = (requestId: string) =>
    new InternalServerError({
      requestId,
      message: `An unexpected error occurred. Quote request id ${requestId} when reporting it.`
    })
}

export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 401 })
) {}

export class RouteNotFound extends Schema.TaggedError<RouteNotFound>()(
  "RouteNotFound",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/** Input that is not a well-formed request at all (bad JSON, body too large), before any field is read. */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 400 })
) {}

/** A request that is well-formed but asks for something the service cannot do. */
export class Unprocessable extends Schema.TaggedError<Unprocessable>()(
  "Unprocessable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 422 })
) {}
