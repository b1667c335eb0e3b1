import { HttpServerResponse } from "@effect/platform"

/**
 * A `200` JSON response for a value already in its encoded form, sent as the string `JSON.stringify` makes:
 * Node writes it out directly, where a `Uint8Array` body would be encoded into a copy first.
 */
export const encodedJson = (value: unknown): HttpServerResponse.HttpServerResponse => {
  const text = JSON.stringify(value)
  return HttpServerResponse.raw(text, { contentType: "application/json", contentLength: Buffer.byteLength(text) })
}
