import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import {
  DiscoverRequest,
  DiscoveryJob,
  DiscoveryJobFinished,
  DiscoveryJobIdFromString,
  DiscoveryJobNotFound
} from "../Domain/DiscoveryJob.js"
import { Unprocessable } from "../Domain/Server.js"

export class DiscoveryApi extends HttpApiGroup.make("discovery")
  .add(
    HttpApiEndpoint.post("start", "/discover")
      .setPayload(DiscoverRequest)
      .addSuccess(DiscoveryJob, { status: 202 })
      .addError(Unprocessable)
      .annotate(OpenApi.Description, "Queue a discovery job on one platform; filters are validated per platform.")
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
