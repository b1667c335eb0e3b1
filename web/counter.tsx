import type { Channel } from "../src/Domain/Draft.js"
import { BlueskyMaxBytes, channelLength, channelLimit, utf8Length } from "../src/Drafts/Template.js"

/**
 * The channel's own count, with the server's own rules (the same module checks drafts on the server):
 * Bluesky counts graphemes and bytes, Mastodon characters including the `@user@host` mention.
 */
export const LengthCounter = (props: { readonly channel: Channel; readonly body: string; readonly handle: string }) => {
  const length = channelLength(props.channel, props.body, props.handle)
  const limit = channelLimit[props.channel]
  const bytes = utf8Length(props.body)
  const over = length > limit || (props.channel === "bluesky_dm" && bytes > BlueskyMaxBytes)
  return (
    <p class={over ? "counter over" : "counter"} aria-live="polite" data-testid="counter">
      {props.channel === "bluesky_dm" && (
        <>
          {length} of {limit} graphemes · {bytes} of {BlueskyMaxBytes} bytes
        </>
      )}
      {props.channel === "mastodon_dm" && (
        <>
          {length} of {limit} characters, with the mention @{props.handle}
        </>
      )}
      {props.channel === "webhook" && (
        <>
          {length} of {limit} characters
        </>
      )}
      {over && <strong> — too long for this channel</strong>}
    </p>
  )
}
