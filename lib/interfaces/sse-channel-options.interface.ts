import type { SseEventContract } from '../protocol/event-contract.js';

/** The parts of an Express or Fastify request a channel resolver usually reads. */
export interface SseRequest {
  readonly params: Record<string, string | string[] | undefined>;
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Set by authentication guards (e.g. Passport). */
  readonly user?: unknown;
}

/** What a channel resolver may return: one channel, several, or none (the request gets 404). */
export type SseChannelNames = string | readonly string[] | undefined;

/** Options of `@SseChannel(path, options)`. */
export interface SseChannelOptions<TRequest = SseRequest> {
  /**
   * The channel(s) the connection joins. A string is a template whose `:param` placeholders are
   * filled from the route params (`'rooms/:room'`); a function receives the request. An empty
   * array joins no channel: the stream carries only what the handler returns.
   * Default: the route path of the method (or, if it has none, of the controller).
   */
  readonly channel?: string | readonly string[] | ((request: TRequest) => SseChannelNames);
  /** Events from history sent on a first connect (no `Last-Event-ID`). Default: the module's. */
  readonly replayOnConnect?: number;
  /**
   * The events this route's stream carries (a `defineSseEvents()` contract), for its OpenAPI
   * entry (`nestjs-sse-channels/swagger`): a schema per event name. It documents; publishes are
   * checked by `broadcast.typed()` and by the `channels` option's `events`.
   */
  readonly events?: SseEventContract;
}
