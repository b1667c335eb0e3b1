import { Effect, Encoding, Either, ParseResult, Schema } from "effect"

/**
 * An opaque keyset cursor: the id of the last item of a page, base64url-encoded so clients treat it as a
 * token. Decoding a forged or mangled cursor is a 400 naming the `cursor` parameter.
 */
export const Cursor = Schema.transformOrFail(Schema.String, Schema.Int.pipe(Schema.positive()), {
  strict: true,
  decode: (token, _, ast) =>
    Either.match(Encoding.decodeBase64UrlString(token), {
      onLeft: () => ParseResult.fail(new ParseResult.Type(ast, token, "Expected a cursor returned by a previous page")),
      onRight: (text) => {
        const match = /^v1:(\d{1,15})$/.exec(text)
        return match !== null && Number(match[1]) > 0
          ? ParseResult.succeed(Number(match[1]))
          : ParseResult.fail(new ParseResult.Type(ast, token, "Expected a cursor returned by a previous page"))
      }
    }),
  encode: (id) => Effect.succeed(Encoding.encodeBase64Url(`v1:${id}`))
}).annotations({ identifier: "Cursor", description: "Opaque token from a previous page's nextCursor" })

export const PageLimit = Schema.String.pipe(
  Schema.pattern(/^[0-9]{1,3}$/, { message: () => "must be 1 to 100" }),
  Schema.compose(Schema.NumberFromString),
  Schema.compose(Schema.Int.pipe(Schema.between(1, 100, { message: () => "must be 1 to 100" }))),
  Schema.annotations({ identifier: "PageLimit", description: "Page size, 1 to 100 (default 50)" })
)

export const Page = <A, I, R>(item: Schema.Schema<A, I, R>) =>
  Schema.Struct({
    items: Schema.Array(item),
    nextCursor: Schema.NullOr(Schema.String).annotations({ description: "Pass as cursor for the next page; null on the last" })
  })

const encodeCursor = Schema.encodeSync(Cursor)

/** One page from `limit + 1` rows newest first: the extra row only says that another page follows. */
export const toPage = <A extends { readonly id: number }>(rows: ReadonlyArray<A>, limit: number) => {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.id) : null }
}
