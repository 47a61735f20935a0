import type {
  SseEventContract,
  SseJsonSchema,
  SsePayloadClass,
  SsePayloadSpec,
  SsePayloadType,
} from '../protocol/event-contract.js';
import { RESERVED_EVENT_PREFIX } from '../protocol/library-events.js';
import { SseMessages } from '../sse.messages.js';

/** What `defineSseEvents()` takes: event name -> payload class or `ssePayload<T>()`. */
type PayloadSpecs = { readonly [event: string]: SsePayloadSpec };

type PayloadOfSpec<S> =
  S extends SsePayloadType<infer T> ? T : S extends SsePayloadClass<infer T> ? T : never;

/** Event names in the library's `sse:` namespace are refused at compile time too. */
type CheckedNames<S> = {
  readonly [K in keyof S]: K extends `${typeof RESERVED_EVENT_PREFIX}${string}` ? never : S[K];
};

/** The contract `defineSseEvents(specs)` returns. */
type ContractOf<S extends PayloadSpecs> = SseEventContract<{
  [K in keyof S & string]: PayloadOfSpec<S[K]>;
}>;

/**
 * Declares, once, the events a channel carries: each event name with its payload, a class
 * (validated with class-validator when published, and documented from its `@ApiProperty()`s)
 * or `ssePayload<T>()` for a payload known by its TypeScript type alone. The unnamed event a
 * client receives as `message` is declared as `message`.
 *
 * The contract is a plain value, used by everything that needs to know the channel's events:
 * - `broadcast.typed(ChatEvents)` publishes and sends only these events, with these payloads
 *   (TypeScript refuses others), and validates class payloads by event name;
 * - `SseModule.forRoot({ channels: [{ pattern: 'rooms/:room', events: ChatEvents }] })` makes
 *   every publish to the channel, typed or not, pass the same checks;
 * - `@SseChannel('rooms/:room', { events: ChatEvents })` documents the route's events in the
 *   OpenAPI document (`nestjs-sse-channels/swagger`);
 * - the client, `connect<SseEventsOf<typeof ChatEvents>>(url, { events: {...} })`, yields a union
 *   of messages discriminated by `event` (a type-only import: no server code reaches a browser).
 *
 * Throws a `TypeError` for an event name the wire cannot carry (empty, CR, LF or NUL, or in the
 * `sse:` namespace) and for a payload that is neither a class nor `ssePayload<T>()`.
 *
 * @example
 * export const ChatEvents = defineSseEvents({
 *   message: ChatMessageDto,
 *   typing: ssePayload<{ user: string }>(),
 * });
 */
export function defineSseEvents<const S extends PayloadSpecs>(
  events: S & CheckedNames<S>,
): ContractOf<S> {
  if (events === null || typeof events !== 'object' || Array.isArray(events))
    throw new TypeError(SseMessages.contractNotAnObject(events));
  for (const [name, spec] of Object.entries(events)) {
    if (!isValidEventName(name)) throw new TypeError(SseMessages.contractEventName(name));
    if (!isPayloadSpec(spec)) throw new TypeError(SseMessages.contractPayload(name, spec));
  }
  return Object.freeze({ events: Object.freeze({ ...events }) }) as ContractOf<S>;
}

/**
 * A payload known by its TypeScript type alone, for `defineSseEvents()`: publishing is typed,
 * nothing is validated at run time. `schema` (a JSON Schema object) documents it in the OpenAPI
 * document; without one the docs show it as any value.
 *
 * A string payload is sent as it is, anything else as JSON; a type that may be either cannot be
 * decoded by a client, so declare one or the other.
 *
 * @example
 * defineSseEvents({ token: ssePayload<string>({ type: 'string' }), done: ssePayload<{ tokens: number }>() })
 */
export function ssePayload<T>(schema?: SseJsonSchema): SsePayloadType<T> {
  return Object.freeze({ kind: 'sse:payload-type', schema });
}

/** Whether `value` has the shape of an event contract (`defineSseEvents()` makes them). */
export function isEventContract(value: unknown): value is SseEventContract {
  if (value === null || typeof value !== 'object') return false;
  const events = (value as { events?: unknown }).events;
  if (events === null || typeof events !== 'object') return false;
  return Object.entries(events).every(
    ([name, spec]) => isValidEventName(name) && isPayloadSpec(spec),
  );
}

/** The class an event's payload is validated against, if the contract declares one. */
export function payloadClassOf(
  contract: SseEventContract,
  event: string,
): SsePayloadClass<object> | undefined {
  const spec = eventSpecOf(contract, event);
  return typeof spec === 'function' ? (spec as SsePayloadClass<object>) : undefined;
}

/** The declaration of one event; undefined when the contract does not declare it. */
export function eventSpecOf(contract: SseEventContract, event: string): SsePayloadSpec | undefined {
  // An own property only: a name like "constructor" must not find Object.prototype's.
  return Object.hasOwn(contract.events, event) ? contract.events[event] : undefined;
}

/** Whether any event of the contract has a class payload (which needs class-transformer). */
export function hasPayloadClass(contract: SseEventContract): boolean {
  return Object.values(contract.events).some((spec) => typeof spec === 'function');
}

function isValidEventName(name: string): boolean {
  return name.length > 0 && !/[\r\n\0]/.test(name) && !name.startsWith(RESERVED_EVENT_PREFIX);
}

function isPayloadSpec(spec: unknown): boolean {
  if (typeof spec === 'function') return true;
  return (
    spec !== null &&
    typeof spec === 'object' &&
    (spec as { kind?: unknown }).kind === 'sse:payload-type'
  );
}
