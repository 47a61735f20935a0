/**
 * One encoded frame on its way to sockets. A broadcast creates one and hands the same object to
 * every subscriber, so per-subscriber work allocates nothing.
 */
export interface OutboundFrame {
  readonly bytes: Buffer;
  /** Events count in `eventsSent`; heartbeats, preambles and position notices do not. */
  readonly isEvent: boolean;
  /** A heartbeat: pointless while data waits for the socket, so never queued. */
  readonly heartbeat?: boolean;
  /** The channel it was published to, with `position`: where it stands in that channel. */
  readonly channel?: string;
  /** Backend position (`<ms>-<seq>`) within its channel; the frame's `id:` on one channel. */
  readonly position?: string;
  /** Under the `conflate` policy, a queued frame with the same key is replaced by this one. */
  readonly conflateKey?: string;
}

/**
 * An event validated and serialized except for its id, which a broadcast learns only from the
 * backend. `head` holds the comment and `event:` lines, `tail` the `retry:` and `data:` lines and
 * the blank line that dispatches the event.
 */
export interface PreparedEvent {
  readonly head: string;
  readonly tail: string;
  /** `data` was JSON-encoded (it was not a string): `history()` parses it back. */
  readonly json: boolean;
}
