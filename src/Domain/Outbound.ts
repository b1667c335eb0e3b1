import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"

export const OutboundRule = Schema.Literal(
  "ip_literal",
  "unspecified",
  "loopback",
  "private",
  "link_local",
  "carrier_grade_nat",
  "multicast",
  "unique_local",
  "reserved"
)

/**
 * A host chosen by a user (a Mastodon instance) that the service will not connect to: an IP address literal,
 * or a name that resolves to a loopback, private, link-local, carrier-grade NAT, multicast, unique-local or
 * otherwise non-public address. `rule` names which.
 */
export class HostRefused extends Schema.TaggedError<HostRefused>()(
  "HostRefused",
  { host: Schema.String, rule: OutboundRule, message: Schema.String },
  HttpApiSchema.annotations({ status: 400 })
) {}
