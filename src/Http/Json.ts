import { HttpServerResponse } from "@effect/platform"
import type { Schema } from "effect"

/** A JSON response the edge makes itself (errors answered before or instead of an endpoint). */
export const json = (body: unknown, status: number) => HttpServerResponse.unsafeJson(body, { status })

/**
 * A `200` JSON response for a value already in `schema`'s encoded form (the type says so; a test proves
 * the data does), sent as the string `JSON.stringify` makes: Node writes it out directly, where a
 * `Uint8Array` body would be encoded into a copy first.
 */
export const encodedJson = <A, I>(_schema: Schema.Schema<A, I>, value: I): HttpServerResponse.HttpServerResponse => {
  const text = JSON.stringify(value)
  return HttpServerResponse.raw(text, { contentType: "application/json", contentLength: Buffer.byteLength(text) })
}
