import type { SseEvent } from '../interfaces/sse-event.interface.js';

const EVENT_KEYS = new Set(['data', 'event', 'id', 'retry', 'comment']);

/**
 * What a handler emits, as an event. An object whose own keys are `data` plus any of
 * `event`, `id`, `retry`, `comment` is an {@link SseEvent} (NestJS's `MessageEvent` has the same
 * shape); anything else is the payload of a plain `message` event.
 */
export function toSseEvent(value: unknown): SseEvent {
  return isSseEvent(value) ? value : { data: value };
}

export function isSseEvent(value: unknown): value is SseEvent {
  if (value === null || typeof value !== 'object' || !Object.hasOwn(value, 'data')) return false;
  for (const key of Object.keys(value)) if (!EVENT_KEYS.has(key)) return false;
  return true;
}
