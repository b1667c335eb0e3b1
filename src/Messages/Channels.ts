import { HttpClient } from "@effect/platform"
import { Effect, Option } from "effect"
import { AppConfig } from "../Config.js"
import type { Channel } from "../Domain/Draft.js"
import { fetchJson, PlatformHttpClient } from "../PlatformClient.js"
import { makeBluesky } from "./Channels/Bluesky.js"
import { makeMastodon } from "./Channels/Mastodon.js"
import type { Json, Sender } from "./Channels/Sender.js"
import { makeWebhook } from "./Channels/Webhook.js"
import { channelSetup } from "./Policy.js"
import { MessagesRepo } from "./Repo.js"

/**
 * The channels this instance can send on, one file each in `Channels/` behind one `Sender` interface: Bluesky
 * DMs, Mastodon direct statuses, Standard Webhooks. A channel whose settings are missing has no sender.
 */
export class Channels extends Effect.Service<Channels>()("Messages/Channels", {
  effect: Effect.gen(function*() {
    const config = yield* AppConfig
    const { discovery, sending } = config
    const setup = channelSetup(config)
    const client = yield* HttpClient.HttpClient
    const repo = yield* MessagesRepo
    const json: Json = (platform, request, schema) =>
      fetchJson(platform, request, schema, sending.requestTimeout).pipe(Effect.provideService(HttpClient.HttpClient, client))

    const senders: Partial<Record<Channel, Sender>> = {}
    if (setup.webhook.configured) {
      senders.webhook = makeWebhook({
        url: Option.getOrThrow(sending.webhookUrl),
        secret: Option.getOrThrow(sending.webhookSecret),
        timeout: sending.requestTimeout,
        client
      })
    }
    if (setup.mastodon_dm.configured) {
      const instance = discovery.mastodonDefaultInstance
      senders.mastodon_dm = makeMastodon({
        base: discovery.mastodonInstanceUrls.get(instance.toLowerCase()) ?? `https://${instance}`,
        instance,
        token: Option.getOrThrow(discovery.mastodonToken),
        json
      })
    }
    if (setup.bluesky_dm.configured) {
      senders.bluesky_dm = makeBluesky({
        pds: sending.blueskyPdsUrl,
        identifier: Option.getOrThrow(sending.blueskyIdentifier),
        password: Option.getOrThrow(sending.blueskyAppPassword),
        json,
        store: repo
      })
    }
    return { senders } as const
  }),
  dependencies: [MessagesRepo.Default, PlatformHttpClient]
}) {}
