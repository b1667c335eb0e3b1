import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { OptionalBody } from "../Domain/Id.js"
import { Text } from "../Domain/Text.js"
import {
  Channel,
  Draft,
  DraftConflict,
  DraftIdFromString,
  DraftInvalid,
  DraftNotFound,
  DraftStatus,
  MaxDraftsPerRequest,
  SkipReason,
  TemplateInvalid
} from "../Domain/Draft.js"
import { Cursor, Page, PageLimit } from "../Domain/Page.js"
import { Platform } from "../Domain/Platform.js"
import { ProfileId, ProfileIdFromString, ProfileStatus } from "../Domain/Profile.js"

const strict = { parseOptions: { onExcessProperty: "error" } } as const

export const CreateDraftsRequest = Schema.Struct({
  template: Text.pipe(Schema.minLength(1), Schema.maxLength(10_000)),
  channel: Channel,
  profileIds: Schema.optional(Schema.Array(ProfileId).pipe(Schema.minItems(1), Schema.maxItems(MaxDraftsPerRequest))),
  filter: Schema.optional(Schema.Struct({
    platform: Schema.optional(Platform),
    status: Schema.optional(ProfileStatus),
    q: Schema.optional(Text.pipe(Schema.maxLength(256))),
    all: Schema.optional(Schema.Literal(true)).annotations({ description: "Every profile: required when no other criterion is given" })
  }).pipe(
    // An empty filter matching everyone is too easy to send by mistake: ask for it in words.
    Schema.filter((f) =>
      f.all === true || f.platform !== undefined || f.status !== undefined || (f.q !== undefined && f.q.trim().length > 0) ||
      "give at least one of platform, status, q, or \"all\": true to draft for every profile"
    ),
    Schema.annotations(strict)
  )),
  fields: Schema.optional(Schema.Record({ key: Text, value: Text.pipe(Schema.maxLength(2000)) }))
}).pipe(
  Schema.filter((r) => (r.profileIds === undefined) !== (r.filter === undefined) || "give either profileIds or filter"),
  Schema.annotations({ ...strict, identifier: "CreateDraftsRequest" })
)

export const DraftsReport = Schema.Struct({
  created: Schema.Array(Draft),
  skipped: Schema.Array(Schema.Struct({ profileId: Schema.Int, reason: SkipReason, detail: Schema.String }))
}).annotations({ identifier: "DraftsReport" })

const id = Schema.Struct({ id: DraftIdFromString })

export class DraftsApi extends HttpApiGroup.make("drafts")
  .add(
    HttpApiEndpoint.post("create", "/drafts")
      .setPayload(CreateDraftsRequest)
      .addSuccess(DraftsReport, { status: 201 })
      .addError(TemplateInvalid)
      .annotate(
        OpenApi.Description,
        "Draft a first message from a template for profiles chosen by id or by filter. A template that does not parse, or names " +
          "a variable that does not exist, is a 400 naming the position and the known variables, before any draft is made."
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/drafts")
      .setUrlParams(Schema.Struct({
        status: Schema.optional(DraftStatus),
        profileId: Schema.optional(ProfileIdFromString),
        limit: Schema.optional(PageLimit),
        cursor: Schema.optional(Cursor)
      }))
      .addSuccess(Page(Draft).annotations({ identifier: "DraftsPage" }))
  )
  .add(HttpApiEndpoint.get("get", "/drafts/:id").setPath(id).addSuccess(Draft).addError(DraftNotFound))
  .add(
    HttpApiEndpoint.patch("edit", "/drafts/:id")
      .setPath(id)
      .setPayload(Schema.Struct({ body: Text.pipe(Schema.minLength(1), Schema.maxLength(10_000)) }).annotations(strict))
      .addSuccess(Draft)
      .addError(DraftNotFound)
      .addError(DraftConflict)
      .addError(DraftInvalid)
      .annotate(OpenApi.Description, "Change the text; an approved draft goes back to draft.")
  )
  .add(
    HttpApiEndpoint.del("remove", "/drafts/:id")
      .setPath(id)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(DraftNotFound)
      .addError(DraftConflict)
  )
  .add(
    HttpApiEndpoint.post("approve", "/drafts/:id/approve")
      .setPath(id)
      .setPayload(OptionalBody(
        Schema.Struct({
          // Refused, not ignored: a client that still names an approver learns that the token does it now.
          approvedBy: Schema.optional(Schema.Never.annotations({
            message: () => "is not accepted: the approver is the name of the API token used (API_TOKENS)"
          }))
        }).annotations(strict)
      ))
      .addSuccess(Draft)
      .addError(DraftNotFound)
      .addError(DraftConflict)
      .annotate(
        OpenApi.Description,
        "Approve a draft. approvedBy is the name of the token the request came with; a body naming an approver is a 400."
      )
  )
  .add(
    HttpApiEndpoint.post("reject", "/drafts/:id/reject")
      .setPath(id)
      .setPayload(OptionalBody(Schema.Struct({ reason: Schema.optional(Text.pipe(Schema.maxLength(1000))) }).annotations(strict)))
      .addSuccess(Draft)
      .addError(DraftNotFound)
      .addError(DraftConflict)
  )
  .annotate(OpenApi.Title, "Drafts")
{}
