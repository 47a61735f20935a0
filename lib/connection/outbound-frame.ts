import type { OutboundFrame } from '../interfaces/sse-frame.interface.js';

/**
 * A frame with what the first stream to send it worked out for all the others: the library
 * adds these to the frames it is handed, so a backend builds plain `OutboundFrame`s.
 */
export interface CachedFrame extends OutboundFrame {
  /** The bytes framed as one HTTP/1.1 chunk; built once, by the first socket that sends it. */
  chunk?: Buffer;
  /**
   * The same event as streams on several channels send it (see `positionedFrame()`), by the
   * index of its channel in theirs, then by their id before it.
   */
  positioned?: Array<Map<string, PositionedFrame> | undefined>;
}

/** A channel event with the id of a stream on several channels, which it moves that stream to. */
export interface PositionedFrame extends OutboundFrame {
  readonly streamId: string;
}

const CRLF = Buffer.from('\r\n');

/**
 * The frame as one chunk of a chunked HTTP/1.1 body (`<hex size>\r\n<bytes>\r\n`), so it can
 * be written to the socket in one call, framed once for every subscriber.
 */
export function chunkOf(frame: CachedFrame): Buffer {
  return (frame.chunk ??= joinedBytes([frame], true));
}

/**
 * An event for the connections of one send (`sendTo()`, `sendToUser()`), built with its HTTP/1.1
 * chunk in one allocation and `bytes` a view into it: sent once or a few times, it is not worth
 * encoding twice, and at targeted-send rates the second copy was most of the send's cost.
 */
export function targetedFrame(text: string): OutboundFrame {
  const size = Buffer.byteLength(text, 'utf8');
  const sizeLine = `${size.toString(16)}\r\n`;
  const chunk = Buffer.allocUnsafe(sizeLine.length + size + CRLF.length);
  chunk.write(sizeLine, 0, 'latin1');
  chunk.write(text, sizeLine.length, 'utf8');
  CRLF.copy(chunk, sizeLine.length + size);
  const frame: CachedFrame = {
    bytes: chunk.subarray(sizeLine.length, sizeLine.length + size),
    isEvent: true,
    chunk,
  };
  return frame;
}

/**
 * The bytes of `frames` in one buffer, framed as one HTTP/1.1 chunk if `chunked`: what a stream
 * sends of its own (its preamble, replay and position) costs one socket write, not one per frame.
 */
export function joinedBytes(frames: readonly OutboundFrame[], chunked: boolean): Buffer {
  let size = 0;
  for (const frame of frames) size += frame.bytes.length;
  const sizeLine = chunked ? `${size.toString(16)}\r\n` : '';
  const joined = Buffer.allocUnsafe(sizeLine.length + size + (chunked ? CRLF.length : 0));
  let at = joined.write(sizeLine, 0, 'latin1');
  for (const frame of frames) at += frame.bytes.copy(joined, at);
  if (chunked) CRLF.copy(joined, at);
  return joined;
}

/** A frame that is not an event (preamble, position notice): never conflated, never replayed. */
export function controlFrame(bytes: Buffer): OutboundFrame {
  return { bytes, isEvent: false };
}

/** A frame that is an event, for one connection only (handler output, targeted sends). */
export function eventFrame(bytes: Buffer, conflateKey?: string): OutboundFrame {
  return conflateKey === undefined
    ? { bytes, isEvent: true }
    : { bytes, isEvent: true, conflateKey };
}
