import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Unauthorized } from "../Domain/Server.js"

/** Bearer-token check on every `/api` route; open when no `API_TOKEN` is configured. */
export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("Auth/Authorization", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}
