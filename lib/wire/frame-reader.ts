import type { SseHistoryEntry } from '../interfaces/history.interface.js';
import { SSE_FIELD } from './sse-frame.js';

/**
 * Reads back a frame this library encoded, for `history()`: backends keep frames (the bytes
 * they replay), not the original objects, which the publisher may have mutated since. `json`:
 * the data was JSON-encoded when published, and is parsed back.
 */
export function historyEntryOf(id: string, frame: Buffer | string, json: boolean): SseHistoryEntry {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of frame.toString().split('\n')) {
    if (line.startsWith(SSE_FIELD.data)) data.push(line.slice(SSE_FIELD.data.length));
    else if (line.startsWith(SSE_FIELD.event)) event = line.slice(SSE_FIELD.event.length);
  }
  const text = data.join('\n');
  return { id, event, data: json ? (JSON.parse(text) as unknown) : text };
}
