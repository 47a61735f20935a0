import type { ServerSpec } from '../shared/protocol.js';

/** One SSE implementation under test, listening on the loopback interface. */
export interface BenchServer {
  readonly port: number;
  /**
   * Publishes one event carrying `PAYLOAD` to every subscriber, through the implementation's own
   * publish API, and returns its id. Whatever a synchronous API allows happens before it returns;
   * a returned promise is awaited only after the whole burst, for its errors and the last id.
   */
  publish(): string | Promise<string>;
  /**
   * The same to a channel no stream is on, for an implementation that has instances (with a
   * Redis URL): what reaches the other instances of it is their cost for nothing.
   */
  publishElsewhere?(): Promise<string>;
  /** Publishes one event to `channel`, for the scenarios of many rooms (this library only). */
  publishTo?(channel: string): Promise<string>;
  /** The streams open now, by the ids the implementation addresses them with. */
  connectionIds(): readonly string[];
  /**
   * Sends one event carrying `PAYLOAD` to each of `ids`, one connection at a time, as an
   * application replying to each client would. Like `publish`, a promise is awaited later.
   */
  sendToEach(ids: readonly string[]): void | Promise<unknown>;
  /** Streams the implementation itself counts as subscribed. */
  subscribers(): number;
}

export type BenchServerFactory = (spec: ServerSpec) => Promise<BenchServer>;

/** Ids shaped like this library's (`<boot ms>-<sequence>`), so frames are the same size. */
export function idSequence(): () => string {
  const epoch = Date.now();
  let sequence = 0;
  return () => `${epoch}-${++sequence}`;
}

/** Events each reference keeps for `Last-Event-ID` replay: the library's default history. */
export const HISTORY_SIZE = 100;

/**
 * The history a user of a library without one writes by hand: the last `HISTORY_SIZE` events in
 * publish order, whatever form the implementation needs to send them again.
 */
export class EventHistory<T extends { readonly id: string }> {
  private readonly events: T[] = [];

  add(event: T): void {
    this.events.push(event);
    if (this.events.length > HISTORY_SIZE) this.events.shift();
  }

  /** The events after the one with `id`, oldest first; none when `id` is absent or forgotten. */
  after(id: string | undefined): readonly T[] {
    if (!id) return [];
    const index = this.events.findIndex((event) => event.id === id);
    return index === -1 ? [] : this.events.slice(index + 1);
  }
}

export function listeningPort(address: unknown): number {
  if (address === null || typeof address !== 'object' || !('port' in address))
    throw new Error(`server is not listening on a TCP port: ${String(address)}`);
  return (address as { port: number }).port;
}

/** The `Last-Event-ID` request header, when sent once. */
export function lastEventIdHeader(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The reason a reference rejects a spec it has no way to serve. */
export function unsupportedSpec(kind: string, spec: ServerSpec): Error {
  return new Error(`${kind} has no multi-instance setup; cannot serve ${JSON.stringify(spec)}`);
}
