import type { ChannelStatus } from "../../src/Domain/Message.js"
import { Busy, ProblemNote, type Loaded } from "../ui.js"
import { channelName, relative, when } from "../words.js"

const nextSend = (iso: string) => (new Date(iso).getTime() <= Date.now() ? "now" : `${when(iso)} (${relative(iso)})`)

/**
 * Which channels can send and which settings the others miss; as whom each sends; today's use of its cap and
 * when it may send next. The service decides all of it (`GET /channels`); this only says it.
 */
export const ChannelsPanel = ({ channels }: { readonly channels: Loaded<ReadonlyArray<ChannelStatus>> }) => (
  <section class="channels" aria-labelledby="channels-heading">
    <h2 id="channels-heading">Channels</h2>
    <ProblemNote problem={channels.problem} />
    {channels.data === undefined ? channels.problem === null && <Busy>Loading the channels…</Busy> : (
      <ul class="channel-list">
        {channels.data.map((c) => (
          <li data-testid={`channel-${c.channel}`}>
            <p>
              <strong>{channelName[c.channel]}</strong>{" "}
              <span class={`chip ${c.configured ? "s-sent" : "s-failed"}`}>{c.configured ? "set up" : "not set up"}</span>
            </p>
            {c.configured ? (
              <>
                <p class="meta">
                  Sends as <span class="handle">{c.sendsAs ?? "—"}</span>
                </p>
                <p>
                  Today: <strong>{c.sentLast24h} / {c.dailyCap}</strong> sent in the last 24 h{c.queued > 0 && <>, {c.queued} waiting</>}
                </p>
                <p>Next send: {c.nextSendAt === null ? "—" : nextSend(c.nextSendAt)}</p>
              </>
            ) : (
              <p class="missing">
                To send, set{" "}
                {c.missing.map((name, i) => (
                  <>
                    {i > 0 && (i === c.missing.length - 1 ? " and " : ", ")}
                    <code>{name}</code>
                  </>
                ))}{" "}
                in the service's environment and restart it.{c.queued > 0 && <> {c.queued} waiting for it.</>}
              </p>
            )}
          </li>
        ))}
      </ul>
    )}
  </section>
)
