/**
 * One encoded frame on its way to sockets. A broadcast creates one and hands the same object to
 * every subscriber, so per-subscriber work allocates nothing.
 */
export interface OutboundFrame {
  readonly bytes: Buffer;
  /** Events count in `eventsSent`; heartbeats and preambles do not. */
  readonly isEvent: boolean;
  /** The channel it was published to, with `position`, to order it against a replay. */
  readonly channel?: string;
  /** Backend position (`<ms>-<seq>`) within its channel. */
  readonly position?: string;
  /** Under the `conflate` policy, a queued frame with the same key is replaced by this one. */
  readonly conflateKey?: string;
  /** The bytes framed as one HTTP/1.1 chunk; built once, by the first socket that sends it. */
  chunk?: Buffer;
}

const CRLF = Buffer.from('\r\n');

/**
 * The frame as one chunk of a chunked HTTP/1.1 body (`<hex size>\r\n<bytes>\r\n`), so it can
 * be written to the socket in one call, framed once for every subscriber.
 */
export function chunkOf(frame: OutboundFrame): Buffer {
  return (frame.chunk ??= Buffer.concat([
    Buffer.from(`${frame.bytes.length.toString(16)}\r\n`),
    frame.bytes,
    CRLF,
  ]));
}

/** A frame that is not an event (preamble, comment): never conflated, never replayed. */
export function controlFrame(bytes: Buffer): OutboundFrame {
  return { bytes, isEvent: false };
}

/** A frame that is an event, for one connection only (handler output, targeted sends). */
export function eventFrame(bytes: Buffer, conflateKey?: string): OutboundFrame {
  return conflateKey === undefined
    ? { bytes, isEvent: true }
    : { bytes, isEvent: true, conflateKey };
}

/**
 * Orders backend positions `<ms>-<seq>` (both backends use this form). Only consulted while a
 * connection replays history, never on the broadcast path.
 */
export function comparePositions(a: string, b: string): number {
  const [aMs, aSeq] = splitPosition(a);
  const [bMs, bSeq] = splitPosition(b);
  return aMs - bMs || aSeq - bSeq;
}

function splitPosition(position: string): [number, number] {
  const dash = position.indexOf('-');
  return [Number(position.slice(0, dash)), Number(position.slice(dash + 1))];
}
