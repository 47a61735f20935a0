/**
 * Positions and stream ids. A channel's events have increasing positions `<ms>-<seq>` (two
 * integers; both backends issue them). A stream's id (what its client sends back as
 * `Last-Event-ID`) says where it is in each of its channels:
 *
 * - on one channel: that channel's position, as it is (`1733312345678-4`);
 * - on several: their positions in the order of the stream's channels, each written
 *   `<ms>-<seq>` in base 36, joined by `.` (`lq4yd1qe-4.lq4yd1qf-0`), so a reconnect resumes
 *   every channel exactly where the client was, with no order shared between channels.
 */

/** Channels one stream may join: each adds a position to its id. */
export const MAX_STREAM_CHANNELS = 32;

/** Longest stream id: 32 positions of at most 9 + 1 + 11 base-36 digits, and the dots. */
export const MAX_STREAM_ID_LENGTH = MAX_STREAM_CHANNELS * 22;

const POSITION = /^(\d{1,16})-(\d{1,16})$/;
const COMPACT_POSITION = /^([0-9a-z]{1,11})-([0-9a-z]{1,11})$/;

/** The two integers of a position, or undefined if it is not one (or not exactly representable). */
function partsOf(position: string, pattern: RegExp, radix: number): [number, number] | undefined {
  const match = pattern.exec(position);
  if (!match) return undefined;
  const ms = parseInt(match[1] as string, radix);
  const seq = parseInt(match[2] as string, radix);
  return Number.isSafeInteger(ms) && Number.isSafeInteger(seq) ? [ms, seq] : undefined;
}

/** True for `<ms>-<seq>` with two integers a JavaScript number holds exactly. */
export function isPosition(value: string): boolean {
  return partsOf(value, POSITION, 10) !== undefined;
}

/**
 * Orders two positions of one channel (as backends issue them: always well formed). Only
 * consulted while a connection replays history or a backend checks a client's position, never
 * on the broadcast path.
 */
export function comparePositions(a: string, b: string): number {
  const aDash = a.indexOf('-');
  const bDash = b.indexOf('-');
  return (
    Number(a.slice(0, aDash)) - Number(b.slice(0, bDash)) ||
    Number(a.slice(aDash + 1)) - Number(b.slice(bDash + 1))
  );
}

/** The id of a stream whose channels are at `positions` (in the order of its channels). */
export function streamIdOf(positions: readonly string[]): string {
  if (positions.length === 1) return positions[0] as string;
  return positions.map(compact).join('.');
}

/**
 * The positions a stream on `channels` channels resumes after, read from its client's id; or
 * undefined when the id is not one this library writes for such a stream.
 */
export function positionsOf(id: string, channels: number): string[] | undefined {
  if (channels === 1) return isPosition(id) ? [id] : undefined;
  const parts = id.split('.');
  if (parts.length !== channels) return undefined;
  const positions: string[] = [];
  for (const part of parts) {
    const numbers = partsOf(part, COMPACT_POSITION, 36);
    if (!numbers) return undefined;
    positions.push(`${numbers[0]}-${numbers[1]}`);
  }
  return positions;
}

function compact(position: string): string {
  const [ms, seq] = partsOf(position, POSITION, 10) ?? [0, 0];
  return `${ms.toString(36)}-${seq.toString(36)}`;
}

/**
 * The last position before `position` in the order of positions: a stream at it has every
 * event up to, but not including, the one at `position`.
 */
export function positionBefore(position: string): string {
  const dash = position.indexOf('-');
  const ms = Number(position.slice(0, dash));
  const seq = Number(position.slice(dash + 1));
  return seq > 0 ? `${ms}-${seq - 1}` : `${ms - 1}-${Number.MAX_SAFE_INTEGER}`;
}
