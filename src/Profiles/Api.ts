import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { OptionalBody } from "../Domain/Id.js"
import { Text } from "../Domain/Text.js"
import { ImportRejected, ImportReport, ImportRequest } from "../Domain/Import.js"
import { ImportBody } from "../Domain/Server.js"
import { SuppressionKeyMissing } from "../Domain/Erasure.js"
import { Cursor, Page, PageLimit } from "../Domain/Page.js"
import { Platform } from "../Domain/Platform.js"
import { Profile, ProfileIdFromString, ProfileNotFound, ProfileStatus } from "../Domain/Profile.js"

export const ProfilesPage = Page(Profile).annotations({ identifier: "ProfilesPage" })

export class ProfilesApi extends HttpApiGroup.make("profiles")
  .add(
    HttpApiEndpoint.get("list", "/profiles")
      .setUrlParams(Schema.Struct({
        platform: Schema.optional(Platform),
        status: Schema.optional(ProfileStatus).annotations({ description: "Archived profiles are listed only when asked for" }),
        q: Schema.optional(Text.pipe(Schema.maxLength(256))).annotations({
          description: "Case-insensitive text in the handle or display name"
        }),
        limit: Schema.optional(PageLimit),
        cursor: Schema.optional(Cursor)
      }))
      .addSuccess(ProfilesPage)
      .annotate(OpenApi.Description, "Profiles newest first, filtered, in pages linked by an opaque cursor.")
  )
  .add(
    HttpApiEndpoint.get("get", "/profiles/:id")
      .setPath(Schema.Struct({ id: ProfileIdFromString }))
      .addSuccess(Profile)
      .addError(ProfileNotFound)
  )
  .add(
    HttpApiEndpoint.post("import", "/profiles/import")
      .setPayload(ImportRequest)
      .annotate(ImportBody, true)
      .addSuccess(ImportReport)
      .addError(ImportRejected)
      .addError(SuppressionKeyMissing)
      .annotate(
        OpenApi.Description,
        "Import profiles: LinkedIn's Connections.csv export, the generic CSV layout, or JSON. Rows are validated one by one; " +
          "a person erased on request is reported as a rejected row (suppressed) and not stored."
      )
  )
  .add(
    HttpApiEndpoint.post("optOut", "/profiles/:id/opt-out")
      .setPath(Schema.Struct({ id: ProfileIdFromString }))
      .setPayload(OptionalBody(
        Schema.Struct({ reason: Schema.optional(Text.pipe(Schema.maxLength(1000))) }).annotations({
          parseOptions: { onExcessProperty: "error" }
        })
      ))
      .addSuccess(Profile)
      .addError(ProfileNotFound)
      .annotate(
        OpenApi.Description,
        "The person asked not to be contacted: suppressed on their platform, open drafts withdrawn, never sent to."
      )
  )
  .add(
    HttpApiEndpoint.post("replied", "/profiles/:id/replied")
      .setPath(Schema.Struct({ id: ProfileIdFromString }))
      .addSuccess(Profile)
      .addError(ProfileNotFound)
      .annotate(OpenApi.Description, "Record that the person replied (for channels where the service cannot see it): no follow-ups.")
  )
  .add(
    HttpApiEndpoint.post("archive", "/profiles/:id/archive")
      .setPath(Schema.Struct({ id: ProfileIdFromString }))
      .addSuccess(Profile)
      .addError(ProfileNotFound)
      .annotate(
        OpenApi.Description,
        "Archive a profile: it leaves the profile list (unless status=archived is asked for) and new drafts, and its open " +
          "drafts are withdrawn; its messages, suppressions and opt-out or reply stay."
      )
  )
  .annotate(OpenApi.Title, "Profiles")
{}
