import type { ServerResponse } from 'node:http';
import type { SseRoute } from '../channel/sse-route.js';
import type { SseConnection } from '../connection/sse-connection.js';
import type { HttpExchange } from './http-exchange.js';

/**
 * A request that passed the guards, pipes and interceptors, with its connection reserved (it
 * counts against the limits and is listed as `connecting`), until its stream opens or it is
 * abandoned. Until its handler has returned nothing is written, so a handler that throws still
 * gets an ordinary HTTP error. A class, so a connect allocates no closures for it.
 */
export class Admission {
  private abort: AbortController | undefined;

  constructor(
    readonly route: SseRoute,
    readonly exchange: HttpExchange,
    readonly connection: SseConnection,
    readonly lastEventId: string | undefined,
  ) {}

  /** Aborted when the response is over: the client left, or the stream ended. Created only for handlers that ask for it (`@SseAbortSignal()`). */
  get signal(): AbortSignal {
    return (this.abort ??= abortOnClose(this.exchange.rawResponse)).signal;
  }

  /** Releases the reservation: the stream never opened (the handler failed, the client left). */
  abandon(): void {
    this.connection.discard();
  }
}

/** An AbortController aborted once the response is over, whichever side ended it. */
function abortOnClose(response: ServerResponse): AbortController {
  const controller = new AbortController();
  if (response.closed) controller.abort();
  else response.once('close', () => controller.abort());
  return controller;
}
