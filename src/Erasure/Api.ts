import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { ErasureReport, ProfileExport, SuppressionKeyMissing } from "../Domain/Erasure.js"
import { ProfileIdFromString, ProfileNotFound } from "../Domain/Profile.js"

const id = Schema.Struct({ id: ProfileIdFromString })

export class ErasureApi extends HttpApiGroup.make("erasure")
  .add(
    HttpApiEndpoint.post("erase", "/profiles/:id/erase")
      .setPath(id)
      .addSuccess(ErasureReport)
      .addError(ProfileNotFound)
      .addError(SuppressionKeyMissing)
      .annotate(
        OpenApi.Description,
        "Erase a person (GDPR Art. 17): their profile fields, raw platform payload, draft and message texts are removed (any " +
          "other profile of ours with the same handle or platform id too). Kept: the profile row as an opted-out tombstone, " +
          "message status and times (for the daily caps), and their identifiers as HMAC-SHA256 hashes under SUPPRESSION_KEY " +
          "on the suppression list, so they are never drafted, queued, sent to, imported or discovered again."
      )
  )
  .add(
    HttpApiEndpoint.get("export", "/profiles/:id/export")
      .setPath(id)
      .addSuccess(ProfileExport)
      .addError(ProfileNotFound)
      .annotate(
        OpenApi.Description,
        "Everything held about one person (GDPR Art. 15): the profile with the platform's raw payload, drafts, messages, " +
          "suppression entries and the audit records about them. The export is itself recorded in the audit."
      )
  )
  .annotate(OpenApi.Title, "Erasure and access")
{}
