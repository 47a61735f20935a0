import type { ConnectionFilter, SseConnectionInfo } from '../backends/index.js';

/**
 * What travels on the pub/sub channels: a JSON header, a newline, then (for events) the frame
 * bytes as they go on the wire. The frame is never parsed: each instance hands that one Buffer
 * to all of its sockets.
 */
export type BusHeader =
  /** An event published to a channel; `p` is its stream position, `g` its global sequence. */
  | {
      readonly k: 'e';
      readonly c: string;
      readonly p: string;
      readonly g: number;
      readonly x: readonly string[];
      readonly ck: string;
      readonly o: string;
    }
  /** A channel finished, from instance `o`, with the final event's frame (position, sequence) if any. */
  | {
      readonly k: 'f';
      readonly c: string;
      readonly o: string;
      readonly p?: string;
      readonly g?: number;
    }
  /** A targeted send to one connection (on its instance's channel). */
  | { readonly k: 'c'; readonly id: string }
  /** A send to every connection of a user, from instance `o` (which delivered its own). */
  | { readonly k: 'u'; readonly u: string; readonly o: string }
  /** A request for connection lists, answered on the instance channel of `o`. */
  | { readonly k: 'q'; readonly r: string; readonly o: string; readonly f: ConnectionFilter }
  /** An answer to a list request. */
  | { readonly k: 'a'; readonly r: string; readonly l: SseConnectionInfo[] };

const NEWLINE = 0x0a;

export function encodeBusMessage(header: BusHeader, frame?: string): string {
  return `${JSON.stringify(header)}\n${frame ?? ''}`;
}

/** The header of a bus message, and its frame as a slice of the same Buffer (no copy). */
export function decodeBusMessage(message: Buffer): { header: BusHeader; frame: Buffer } {
  const split = message.indexOf(NEWLINE);
  return {
    header: JSON.parse(message.subarray(0, split).toString('utf8')) as BusHeader,
    frame: message.subarray(split + 1),
  };
}

/** The header of an event message without its closing brace; the script appends `p` and `g`. */
export function openEventHeader(
  channel: string,
  exclude: readonly string[],
  conflateKey: string,
  origin: string,
): string {
  return JSON.stringify({ k: 'e', c: channel, x: exclude, ck: conflateKey, o: origin }).slice(
    0,
    -1,
  );
}

/** The same for a finish with a final event. */
export function openFinishHeader(channel: string, origin: string): string {
  return JSON.stringify({ k: 'f', c: channel, o: origin }).slice(0, -1);
}
