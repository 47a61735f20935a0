import { SseEventError } from '../errors/sse-event.error.js';
import type { SseEvent } from '../interfaces/sse-event.interface.js';
import { RESERVED_EVENT_PREFIX } from '../protocol/library-events.js';
import { SseMessages } from '../sse.messages.js';

/** Keys an event object may have: `SseEvent`'s, and `type` from NestJS's `MessageEvent`. */
const EVENT_KEYS: ReadonlySet<string> = new Set([
  'data',
  'event',
  'type',
  'id',
  'retry',
  'comment',
]);

/** Who sends an event, for error messages, and whether it may choose its id. */
export interface EventSender {
  /** E.g. `publish()`, or `@SseChannel() handler RoomsController.events`. */
  readonly name: string;
  /** False for channel events: their id is their position, which the backend assigns. */
  readonly mayChooseId: boolean;
}

/**
 * A value sent by the application, as an event. Only an object with a `data` key and no keys
 * but `event` (or NestJS's `type`), `id`, `retry` and `comment` is an event; anything else is
 * refused with an {@link SseEventError} saying to wrap it (`{ data: value }`), so a payload that
 * happens to have a `data` or `id` field is never sent as something else.
 */
export function toSseEvent(value: unknown, sender: EventSender): SseEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('data' in value))
    throw new SseEventError(SseMessages.notAnEvent(sender.name, value), 'event object');
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given))
    if (!EVENT_KEYS.has(key))
      throw new SseEventError(SseMessages.unknownEventKey(sender.name, key), 'event object');
  if (given.id !== undefined && !sender.mayChooseId)
    throw new SseEventError(SseMessages.idAssigned(sender.name), 'id');
  if (given.type !== undefined && given.event !== undefined)
    throw new SseEventError(SseMessages.typeAndEvent(sender.name), 'event');
  const name = given.event ?? given.type;
  if (typeof name === 'string' && name.startsWith(RESERVED_EVENT_PREFIX))
    throw new SseEventError(SseMessages.reservedEventName(name), 'event');
  const event: SseEvent = { data: given.data };
  if (name !== undefined) event.event = name as string;
  if (given.id !== undefined) event.id = given.id as string;
  if (given.retry !== undefined) event.retry = given.retry as number;
  if (given.comment !== undefined) event.comment = given.comment as string;
  return event;
}
