import { Schema } from "effect"
import { Cursor } from "../src/Domain/Page.js"

/** A page's `nextCursor` token as the client's `cursor` parameter (the client encodes it back to the same token). */
export const cursorOf = Schema.decodeSync(Cursor)
