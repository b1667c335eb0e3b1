import type { DiscoveryJobStatus } from "../src/Domain/DiscoveryJob.js"
import type { Channel, DraftStatus, SkipReason } from "../src/Domain/Draft.js"
import type { MessageStatus } from "../src/Domain/Message.js"
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

/** Why a message waits or failed, by the `errorCode` the sender records. Unknown codes are shown as they are. */
const errorCodeWords: Record<string, string> = {
  rate_limited: "the platform's rate limit: waiting until it resets",
  unavailable: "the platform did not answer: trying again",
  sender_auth: "the sending account's credentials were refused: fix the configuration; it retries every 15 minutes",
  daily_cap: "today's cap for this channel is used up",
  spacing: "spacing between two messages on this channel",
  lease_lost: "another sender took it over",
  opted_out: "the person opted out",
  replied: "the person replied: no follow-ups",
  not_configured: "this channel is not configured",
  abandoned: "the sender stopped several times while sending it"
}

export const errorCodeName = (code: string) => errorCodeWords[code] ?? code

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
