import type { DiscoveryJobStatus } from "../src/Domain/DiscoveryJob.js"
import type { Channel, DraftStatus, SkipReason } from "../src/Domain/Draft.js"
import type { MessageStatus, WaitingReason } from "../src/Domain/Message.js"
import type { Platform } from "../src/Domain/Platform.js"
import type { ProfileStatus } from "../src/Domain/Profile.js"

/** What the page says for the API's codes. */

export const platformName: Record<Platform, string> = {
  bluesky: "Bluesky",
  mastodon: "Mastodon",
  github: "GitHub",
  linkedin: "LinkedIn"
}

export const channelName: Record<Channel, string> = {
  bluesky_dm: "Bluesky direct message",
  mastodon_dm: "Mastodon direct mention",
  webhook: "Webhook (your own tool sends it)"
}

/** The channel's name inside a sentence. */
export const channelShortName: Record<Channel, string> = {
  bluesky_dm: "Bluesky direct message",
  mastodon_dm: "Mastodon direct mention",
  webhook: "webhook"
}

export const profileStatusName: Record<ProfileStatus, string> = {
  new: "new",
  contacted: "contacted",
  replied: "replied",
  opted_out: "opted out",
  archived: "archived"
}

export const draftStatusName: Record<DraftStatus, string> = {
  draft: "to review",
  approved: "approved",
  rejected: "rejected",
  sent: "queued or sent"
}

export const messageStatusName: Record<MessageStatus, string> = {
  queued: "waiting to go",
  sending: "sending now",
  sent: "sent",
  failed: "failed"
}

export const jobStatusName: Record<DiscoveryJobStatus, string> = {
  queued: "queued",
  running: "running",
  rate_limited: "waiting for the platform's rate limit",
  succeeded: "finished",
  failed: "failed",
  cancelled: "cancelled"
}

export const skipReasonName: Record<SkipReason, string> = {
  not_found: "no such person",
  opted_out: "opted out",
  already_contacted: "already contacted",
  channel_unavailable: "channel not available for them",
  missing_variable: "a variable has no value",
  unknown_variable: "unknown variable",
  too_long: "message too long",
  draft_exists: "already has a draft",
  channel_not_configured: "the channel is not set up on this server",
  archived: "archived"
}

/** Why a message failed, by the `errorCode` the sender records. Unknown codes (the platform's own) are shown as they are. */
const errorCodeWords: Record<string, string> = {
  rate_limited: "the platform's rate limit",
  unavailable: "the platform did not answer",
  sender_auth: "the sending account's credentials were refused",
  lease_lost: "another sender took it over",
  opted_out: "the person opted out",
  replied: "the person replied: no follow-ups",
  not_configured: "this channel is not configured",
  abandoned: "the sender stopped several times while sending it"
}

export const errorCodeName = (code: string) => errorCodeWords[code] ?? code

/** Why a queued message is not on its way yet (the API's `waitingFor`). */
export const waitingReasonName: Record<WaitingReason, string> = {
  daily_cap: "today's cap for this channel is used up",
  spacing: "the gap the channel keeps between two messages",
  rate_limited: "the platform's rate limit",
  sender_auth: "the sending account's credentials were refused",
  retry: "a retry after a failure",
  not_configured: "the channel is not set up on this server"
}

/** "set BLUESKY_IDENTIFIER and BLUESKY_APP_PASSWORD": the settings a channel still needs. */
export const settingsToSet = (missing: ReadonlyArray<string>) =>
  missing.length <= 1 ? missing.join("") : `${missing.slice(0, -1).join(", ")} and ${missing[missing.length - 1]}`

/** A channel that cannot send, said so a person knows what to do. */
export const notConfiguredWords = (channel: Channel, missing: ReadonlyArray<string>) =>
  `The ${channelShortName[channel]} channel is not set up on this server: set ${settingsToSet(missing)} in the service's ` +
  "environment and restart it."

const time = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" })

export const when = (iso: string | null | undefined) => (iso === null || iso === undefined ? "—" : time.format(new Date(iso)))

/** "in 3 min", "5 s ago": for times close to now. */
export const relative = (iso: string, now = Date.now()) => {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000)
  const size = Math.abs(seconds)
  const amount = size < 90 ? `${size} s` : size < 5400 ? `${Math.round(size / 60)} min` : `${Math.round(size / 3600)} h`
  return seconds >= 0 ? `in ${amount}` : `${amount} ago`
}

export const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`
