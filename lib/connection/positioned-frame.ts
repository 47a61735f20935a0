import { positionsOf, streamIdOf } from '../wire/stream-position.js';
import { withEventId } from '../wire/sse-frame.js';
import type { CachedFrame, PositionedFrame } from './outbound-frame.js';

/**
 * A channel event as a stream on several channels sends it: its `id:` is the stream's id with
 * the event's channel moved to the event's position (see `stream-position.ts`). Streams on the
 * same channels that are at the same place share one frame: it is built once, by the first of
 * them, and kept on the event's frame for the others (`remember`); a replay, whose frames are
 * kept in history, does not keep it. Undefined if the frame is not an event of `channels`.
 */
export function positionedFrame(
  frame: CachedFrame,
  channels: readonly string[],
  streamId: string,
  remember: boolean,
): PositionedFrame | undefined {
  const index = frame.channel === undefined ? -1 : channels.indexOf(frame.channel);
  if (index < 0 || frame.position === undefined) return undefined;
  const found = remember ? frame.positioned?.[index]?.get(streamId) : undefined;
  if (found) return found;
  const positions = positionsOf(streamId, channels.length);
  if (!positions) return undefined;
  positions[index] = frame.position;
  const id = streamIdOf(positions);
  const positioned: PositionedFrame = {
    bytes: withEventId(frame.bytes, id),
    isEvent: frame.isEvent,
    channel: frame.channel,
    position: frame.position,
    conflateKey: frame.conflateKey,
    streamId: id,
  };
  if (remember) ((frame.positioned ??= [])[index] ??= new Map()).set(streamId, positioned);
  return positioned;
}
