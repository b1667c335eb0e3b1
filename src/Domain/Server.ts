import { HttpApiSchema } from "@effect/platform"
import { Context, Schema } from "effect"

/** Marks endpoints whose body may be as large as `MAX_IMPORT_BYTES` (a whole file) rather than `MAX_BODY_BYTES`. */
export class ImportBody extends Context.Tag("Http/ImportBody")<ImportBody, true>() {}

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

/** A request body over the limit the message names. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 413 })
) {}

/** A request body in a media type the endpoint does not take; the message names the ones it does. */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()(
  "UnsupportedMediaType",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 415 })
) {}

/** The instance received SIGTERM: it finishes what it has, takes nothing new. */
export class ShuttingDown extends Schema.TaggedError<ShuttingDown>()(
  "ShuttingDown",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}
