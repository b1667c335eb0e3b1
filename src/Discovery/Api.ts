import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import {
  DiscoverRequest,
  DiscoveryJob,
  DiscoveryJobFinished,
  DiscoveryJobIdFromString,
  DiscoveryJobNotFound,
  DiscoveryJobStatus
} from "../Domain/DiscoveryJob.js"
import { HostRefused } from "../Domain/Outbound.js"
import { Cursor, Page, PageLimit } from "../Domain/Page.js"
import { Platform } from "../Domain/Platform.js"
import { Unprocessable } from "../Domain/Server.js"

export class DiscoveryApi extends HttpApiGroup.make("discovery")
  .add(
    HttpApiEndpoint.post("start", "/discover")
      .setPayload(DiscoverRequest)
      .addSuccess(DiscoveryJob, { status: 202 })
      .addError(Unprocessable)
      .addError(HostRefused)
      .annotate(
        OpenApi.Description,
        "Queue a discovery job on one platform; filters are validated per platform. A Mastodon instance that is an IP " +
          "literal or resolves to a non-public address (loopback, private, link-local, CGNAT, multicast, unique-local) is a " +
          "400 HostRefused naming the rule, unless the operator lists it in MASTODON_INSTANCE_URLS."
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/discover")
      .setUrlParams(Schema.Struct({
        status: Schema.optional(DiscoveryJobStatus),
        platform: Schema.optional(Platform),
        limit: Schema.optional(PageLimit),
        cursor: Schema.optional(Cursor)
      }))
      .addSuccess(Page(DiscoveryJob).annotations({ identifier: "DiscoveryJobsPage" }))
      .annotate(OpenApi.Description, "Discovery jobs newest first, by status and platform, in pages linked by an opaque cursor.")
  )
  .add(
    HttpApiEndpoint.get("get", "/discover/:id")
      .setPath(Schema.Struct({ id: DiscoveryJobIdFromString }))
      .addSuccess(DiscoveryJob)
      .addError(DiscoveryJobNotFound)
  )
  .add(
    HttpApiEndpoint.post("cancel", "/discover/:id/cancel")
      .setPath(Schema.Struct({ id: DiscoveryJobIdFromString }))
      .addSuccess(DiscoveryJob)
      .addError(DiscoveryJobNotFound)
      .addError(DiscoveryJobFinished)
      .annotate(OpenApi.Description, "Stop a job that has not finished; profiles it already saved stay.")
  )
  .annotate(OpenApi.Title, "Discovery")
{}
