import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Context } from "effect"
import { Unauthorized } from "../Domain/Server.js"

/**
 * Who is making this request: the name given to their token in `API_TOKENS` (`operator` for `API_TOKEN`,
 * `anonymous` when no token is configured). Every change records it; it never comes from a request body.
 */
export class Actor extends Context.Tag("Auth/Actor")<Actor, { readonly name: string }>() {}

/** Bearer-token check on every `/api` route, naming the token's holder; open when no token is configured. */
export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("Auth/Authorization", {
  failure: Unauthorized,
  provides: Actor,
  security: { bearer: HttpApiSecurity.bearer }
}) {}
