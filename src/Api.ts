import { HttpApi, HttpApiMiddleware, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { AuditApi } from "./Audit/Api.js"
import { Authorization } from "./Auth/Api.js"
import { DiscoveryApi } from "./Discovery/Api.js"
import { DatabaseUnavailable, TablesMissing } from "./Domain/Database.js"
import { BadRequest, InternalServerError, PayloadTooLarge, RouteNotFound, UnsupportedMediaType } from "./Domain/Server.js"
import { DraftsApi } from "./Drafts/Api.js"
import { ErasureApi } from "./Erasure/Api.js"
import { HealthApi } from "./Health/Api.js"
import { MessagesApi } from "./Messages/Api.js"
import { ProfilesApi } from "./Profiles/Api.js"
import { SuppressionsApi } from "./Suppressions/Api.js"
import packageJson from "../package.json" with { type: "json" }

/** Every `/api` endpoint answers 503 `TablesMissing` while a table of ours is missing, whichever it touches. */
export class SchemaReady extends HttpApiMiddleware.Tag<SchemaReady>()("Api/SchemaReady", {
  failure: Schema.Union(TablesMissing, DatabaseUnavailable)
}) {}

/** The social outreach API: `/api/social/*` behind the bearer token, `/health/*` open. */
export class SocialApi extends HttpApi.make("social")
  .add(DiscoveryApi)
  .add(ProfilesApi)
  .add(DraftsApi)
  .add(MessagesApi)
  .add(SuppressionsApi)
  .add(ErasureApi)
  .add(AuditApi)
  .prefix("/api/social")
  .middleware(SchemaReady)
  .middleware(Authorization)
  .addError(TablesMissing)
  .addError(DatabaseUnavailable)
{}

export class Api extends HttpApi.make("api")
  .addHttpApi(SocialApi)
  .add(HealthApi)
  .addError(BadRequest)
  .addError(PayloadTooLarge)
  .addError(UnsupportedMediaType)
  .addError(RouteNotFound)
  .addError(InternalServerError)
  .annotate(OpenApi.Title, "social-outreach")
  .annotate(OpenApi.Version, packageJson.version)
  .annotate(OpenApi.Description, "Find people on social platforms, keep their profiles, draft and send first messages.")
{}
