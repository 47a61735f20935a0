/**
 * The types of an event contract, shared by the server (publishing, route docs) and the client
 * (what a stream yields): which events a channel carries, and the payload of each. Types only,
 * so the client, which runs in browsers, never loads server code through them.
 */

/** Event name -> payload type, e.g. `{ message: ChatMessageDto; typing: { user: string } }`. */
export type SseEventMap = { readonly [event: string]: unknown };

/** A class whose instances are a payload: published payloads are validated against it. */
export type SsePayloadClass<T = unknown> = new (...args: never[]) => T;

/** A JSON Schema object, as OpenAPI documents it (`{ type: 'object', properties: ... }`). */
export type SseJsonSchema = { readonly [keyword: string]: unknown };

/**
 * A payload given by its TypeScript type alone (what `ssePayload<T>()` returns): typed, not
 * validated at run time, documented by `schema` when one is given.
 */
export interface SsePayloadType<T> {
  readonly kind: 'sse:payload-type';
  /** Documents the payload in the OpenAPI document; the payload is not validated against it. */
  readonly schema: SseJsonSchema | undefined;
  /** Never set: it carries `T`, so that the contract's types can be read back. */
  readonly type?: T;
}

/** How a contract declares one event's payload: a class, or a type (`ssePayload<T>()`). */
export type SsePayloadSpec<T = unknown> = SsePayloadClass<T> | SsePayloadType<T>;

/**
 * A channel's events, declared once (with `defineSseEvents()`): each event name with its payload.
 * Publishing, the route's OpenAPI entry and the client read the same declaration.
 */
export interface SseEventContract<E extends SseEventMap = SseEventMap> {
  readonly events: { readonly [K in keyof E]: SsePayloadSpec<E[K]> };
}

type PayloadOf<S> =
  S extends SsePayloadType<infer T> ? T : S extends SsePayloadClass<infer T> ? T : never;

/**
 * The event map of a contract: event name -> payload type.
 *
 * @example
 * type ChatEventMap = SseEventsOf<typeof ChatEvents>; // { message: ChatMessageDto; typing: Typing }
 */
export type SseEventsOf<C extends SseEventContract> = {
  [K in keyof C['events'] & string]: PayloadOf<C['events'][K]>;
};

/**
 * What a value of type `T` becomes once JSON-encoded and parsed back, as `JSON.stringify` does
 * it: a `Date` (anything with `toJSON()`) becomes what `toJSON()` returns, functions and
 * `undefined` properties disappear, in arrays they become `null`.
 *
 * @example
 * type Wire = SseJson<{ at: Date; text: string }>; // { at: string; text: string }
 */
export type SseJson<T> = unknown extends T
  ? unknown
  : T extends { toJSON(...args: never[]): infer R }
    ? SseJson<R>
    : T extends string | number | boolean | null
      ? T
      : T extends bigint | symbol | undefined | ((...args: never[]) => unknown)
        ? never
        : T extends readonly unknown[]
          ? { -readonly [I in keyof T]: JsonElement<T[I]> }
          : JsonObject<T>;

/**
 * An object as JSON: a property whose value has no JSON form disappears; one that may be
 * `undefined` may be missing (`JSON.stringify` leaves it out), so it is optional.
 */
type JsonObject<T> = Flatten<
  {
    -readonly [K in keyof T as RequiredJsonKey<T, K>]: SseJson<T[K]>;
  } & {
    -readonly [K in keyof T as OptionalJsonKey<T, K>]?: SseJson<Exclude<T[K], undefined>>;
  }
>;

type RequiredJsonKey<T, K extends keyof T> = K extends string
  ? undefined extends T[K]
    ? never
    : [SseJson<T[K]>] extends [never]
      ? never
      : K
  : never;

type OptionalJsonKey<T, K extends keyof T> = K extends string
  ? undefined extends T[K]
    ? [SseJson<Exclude<T[K], undefined>>] extends [never]
      ? never
      : K
    : never
  : never;

/** One object type for an intersection of two, modifiers kept (a homomorphic mapped type). */
type Flatten<T> = { [K in keyof T]: T[K] };

/** An array element as JSON: what has no JSON form (a function, undefined) becomes `null`. */
type JsonElement<T> = T extends unknown
  ? [SseJson<T>] extends [never]
    ? null
    : SseJson<T>
  : never;

/**
 * What a client receives as an event's `data`: a string payload as it was sent (the server
 * writes strings as they are), anything else as its JSON.
 */
export type SseWireData<T> = [T] extends [string] ? T : SseJson<T>;

/**
 * How a client decodes an event's data: `'text'` for a string payload (sent as it is), `'json'`
 * for any other. A payload that may be a string or something else (`unknown` and `any`
 * included) cannot be told apart on the wire, so it has no decoding (`never`): declare it as
 * one or the other.
 */
export type SseDataDecoding<T> = unknown extends T
  ? never
  : [T] extends [string]
    ? 'text'
    : [Extract<T, string>] extends [never]
      ? 'json'
      : never;
