import type { SseHistoryEntry } from '../interfaces/history.interface.js';

/**
 * Reads back a frame this library encoded, for `history()`: backends keep frames (the bytes
 * they replay), not the original objects, which the publisher may have mutated since. `json`:
 * the data was JSON-encoded when published, and is parsed back.
 */
export function readFrame(id: string, frame: Buffer | string, json: boolean): SseHistoryEntry {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of frame.toString().split('\n')) {
    if (line.startsWith('data: ')) data.push(line.slice(6));
    else if (line.startsWith('event: ')) event = line.slice(7);
  }
  const text = data.join('\n');
  return { id, event, data: json ? (JSON.parse(text) as unknown) : text };
}
