import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { OutgoingHttpHeaders } from 'node:http';
import { Subscription, type Observable } from 'rxjs';
import type { SseRoute } from '../channel/sse-route.js';
import { SseRouteTable } from '../channel/sse-route-table.js';
import { ChannelHub } from '../connection/channel-hub.js';
import { ConnectionPool } from '../connection/connection-pool.js';
import { controlFrame, eventFrame } from '../connection/outbound-frame.js';
import {
  SseConnection,
  tickLimitOf,
  type ReplayOutcome,
  type SseConnectionHost,
} from '../connection/sse-connection.js';
import { SseInstance } from '../connection/sse-instance.js';
import { TickFlush } from '../connection/tick-flush.js';
import { SseFinishedException } from '../errors/sse-finished.exception.js';
import type { SseBackend, SseReplayResult } from '../interfaces/sse-backend.interface.js';
import type { SseRequest } from '../interfaces/sse-channel-options.interface.js';
import type { OutboundFrame } from '../interfaces/sse-frame.interface.js';
import type { ResolvedSseOptions } from '../interfaces/sse-options.interface.js';
import { SseLifecycle } from '../lifecycle/sse-lifecycle.service.js';
import type { SseAttemptOutcome } from '../metrics/instruments.js';
import type { RouteMetrics } from '../metrics/route-metrics.js';
import { SseMetrics } from '../metrics/sse-metrics.js';
import type { SseStreamErrorData } from '../protocol/library-events.js';
import { SSE_BACKEND, SSE_OPTIONS } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';
import { encodeEvent, encodeRetry } from '../wire/event-encoder.js';
import { isReadableLastEventId, lastEventIdFromHeader } from '../wire/event-id.js';
import { errorNotice } from '../wire/library-notices.js';
import { positionBefore, positionsOf } from '../wire/stream-position.js';
import { toSseEvent } from '../wire/to-sse-event.js';
import { Admission } from './admission.js';
import { handlerSource } from './handler-source.js';
import { toHttpExchange, type HttpExchange } from './http-exchange.js';

/**
 * The stream's own headers, a new object per response (Node and middleware may treat it as the
 * response's). `keepAlive` for HTTP/1.1 only: HTTP/2 forbids connection-specific headers, and
 * an HTTP/1.0 stream ends with its connection.
 */
function sseHeaders(keepAlive: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'content-type': 'text/event-stream; charset=utf-8',
    // no-transform: compression middleware and proxies must pass events through unbuffered.
    'cache-control': 'no-cache, no-transform',
    // nginx buffers proxied responses unless told not to.
    'x-accel-buffering': 'no',
  };
  if (keepAlive) headers.connection = 'keep-alive';
  return headers;
}
// Set by the framework or middleware for ordinary responses; wrong for an endless stream.
const DROPPED_HEADERS = ['content-length', 'content-encoding', 'etag', 'last-modified'];

/**
 * Where an `@SseChannel()` request becomes a stream: admission (limits, finished channels, a
 * reserved connection), the handler, then headers, preamble, history replay without gap or
 * duplicate, channel membership and the handler's own events.
 */
@Injectable()
export class ChannelEndpoint {
  private readonly logger = new Logger('SseModule');
  private readonly preamble: OutboundFrame;
  /** Shared by every connection: the bookkeeping done when one retires or closes. */
  private readonly host: SseConnectionHost;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly hub: ChannelHub,
    private readonly lifecycle: SseLifecycle,
    private readonly instance: SseInstance,
    private readonly routes: SseRouteTable,
    private readonly metrics: SseMetrics,
    @Inject(SSE_BACKEND) private readonly backend: SseBackend,
    @Inject(SSE_OPTIONS) private readonly options: ResolvedSseOptions,
  ) {
    this.preamble = controlFrame(encodeRetry(options.retryMs));
    this.host = {
      instance: instance.id,
      tick: new TickFlush(),
      maxBufferedBytes: options.maxBufferedBytes,
      tickLimit: tickLimitOf(options.maxBufferedBytes),
      slowConsumer: options.slowConsumer,
      retired: (connection) => {
        pool.retired(connection);
        hub.leave(connection);
      },
      closed: (connection) => {
        pool.closed(connection);
        metrics.closed(connection);
      },
    };
  }

  /** Whether this endpoint belongs to the module whose (resolved) options these are. */
  servesModuleOf(options: ResolvedSseOptions): boolean {
    return options === this.options;
  }

  /**
   * Serves one request of an `@SseChannel()` method: admits it (channels, limits, finished
   * channels), calls `method` on `controller` with `args` (the library's parameters filled in),
   * then opens the stream with what it returned. `handler` is the method as Nest registered it,
   * which finds its route. A refused request or a method that throws gets an ordinary HTTP
   * error, which Nest answers as usual; a finished channel (or `SseFinishedException` from the
   * method) gets a bare 204, which stops browsers.
   */
  async serve(
    controller: object,
    handler: object,
    method: (...args: unknown[]) => unknown,
    args: unknown[],
  ): Promise<void> {
    const route = this.routes.get(controller.constructor, handler);
    if (!route)
      throw new Error(
        SseMessages.routeNotCompiled(
          `${controller.constructor.name}.${String((handler as { name?: unknown }).name)}`,
        ),
      );
    const exchange = toHttpExchange(args[route.responseIndex]);
    const measured = this.metrics.routeOf(controller.constructor, handler);
    this.metrics.reached(exchange.rawResponse);
    let admission: Admission | undefined;
    try {
      admission = await this.admit(route, exchange, measured);
    } catch (error) {
      this.metrics.attempt(measured, ...this.outcomeOf(error));
      throw error;
    }
    if (!admission) {
      this.metrics.attempt(measured, 'finished', HttpStatus.NO_CONTENT);
      return answerFinished(exchange);
    }
    try {
      for (const { index, kind } of route.params)
        args[index] = kind === 'connectionId' ? admission.connection.id : admission.signal;
      const returned = method.apply(controller, args);
      if (isThenable(returned)) await this.openStream(admission, await returned, true);
      else await this.openStream(admission, returned, false);
    } catch (error) {
      admission.abandon();
      if (error instanceof SseFinishedException && !exchange.rawResponse.headersSent) {
        this.metrics.attempt(measured, 'finished', HttpStatus.NO_CONTENT);
        return answerFinished(exchange);
      }
      this.metrics.attempt(measured, ...this.outcomeOf(error));
      throw error;
    }
  }

  /**
   * Checks the request may have a stream and reserves its connection; undefined when one of its
   * channels is finished. Throws HTTP errors (400/404 channel, 429/503 limits).
   */
  private async admit(
    route: SseRoute,
    exchange: HttpExchange,
    measured: RouteMetrics,
  ): Promise<Admission | undefined> {
    const request = exchange.request as SseRequest;
    const channels = route.channelsFor(request);
    for (const channel of channels) {
      if (await this.backend.isFinished(channel)) return undefined;
    }
    const userId = this.options.userId(request);
    // Checked and reserved in one synchronous step, so concurrent requests cannot overshoot.
    this.checkLimits(userId);
    const connection = new SseConnection(
      {
        id: this.instance.nextConnectionId(),
        channels,
        userId,
        request: exchange.request,
        userAgent: exchange.rawRequest.headers['user-agent'],
        response: exchange.rawResponse,
        route: measured,
      },
      this.host,
    );
    this.pool.add(connection);
    return new Admission(route, exchange, connection, lastEventIdOf(exchange));
  }

  /**
   * Starts the stream of an admission with what its handler returned; anything thrown before
   * the stream is open leaves the response to the framework.
   */
  private async openStream(
    admission: Admission,
    result: unknown,
    resolved: boolean,
  ): Promise<void> {
    const { connection } = admission;
    try {
      // Checked first: a handler returning what cannot be streamed fails (and is logged) even
      // if its client has left meanwhile.
      const source = handlerSource(result, admission.route.name, resolved);
      if (connection.state !== 'connecting') return this.abandoned(connection);
      await this.open(
        admission.route,
        admission.exchange,
        connection,
        admission.lastEventId,
        source,
      );
    } catch (error) {
      connection.discard();
      throw error;
    }
  }

  /** The client left before its stream opened. */
  private abandoned(connection: SseConnection): void {
    connection.discard();
    this.metrics.attempt(connection.route, 'abandoned');
  }

  /**
   * What a request that failed before its stream opened counts as, by the status it is
   * answered with: 401/403 `denied`, 429 and 503 `limited` (or `shutdown`), any other 4xx
   * `rejected`; anything else (a 5xx, an error that is no `HttpException`) `error`.
   */
  private outcomeOf(error: unknown): [SseAttemptOutcome, number?] {
    if (!(error instanceof HttpException)) return ['error'];
    const status = error.getStatus();
    if (status === HttpStatus.UNAUTHORIZED || status === HttpStatus.FORBIDDEN)
      return ['denied', status];
    if (status === HttpStatus.TOO_MANY_REQUESTS) return ['limited', status];
    if (status === HttpStatus.SERVICE_UNAVAILABLE)
      return [this.lifecycle.isStopping ? 'shutdown' : 'limited', status];
    return [status < 500 ? 'rejected' : 'error', status];
  }

  private checkLimits(userId: string | undefined): void {
    if (this.lifecycle.isStopping)
      throw new ServiceUnavailableException(SseMessages.shuttingDown());
    const { maxConnections, maxConnectionsPerUser } = this.options;
    if (maxConnections !== undefined && this.pool.activeCount >= maxConnections) {
      throw new ServiceUnavailableException(SseMessages.maxConnectionsReached(maxConnections));
    }
    if (maxConnectionsPerUser !== undefined && userId !== undefined) {
      if ((this.pool.ofUser(userId)?.size ?? 0) >= maxConnectionsPerUser) {
        throw new HttpException(
          SseMessages.maxConnectionsPerUserReached(maxConnectionsPerUser),
          HttpStatus.TOO_MANY_REQUESTS,
        );
      }
    }
  }

  /**
   * Opens the stream: for a stream with channels, first joins them (live events wait) and reads
   * where each channel is (and what to replay), then writes the headers, the preamble, the
   * stream's position and the replay, then the live events. Writing the headers only once the
   * position is known means that what is published after the client sees them reaches it, and
   * that its first bytes already say where it is, so a reconnect resumes there.
   */
  private async open(
    route: SseRoute,
    exchange: HttpExchange,
    connection: SseConnection,
    lastEventId: string | undefined,
    source: Observable<unknown> | undefined,
  ): Promise<void> {
    // The client may have left while an async handler was running.
    if (!connection.isReachable) return this.abandoned(connection);
    const head = exchange.rawRequest.method === 'HEAD';
    let outcome: ReplayOutcome | undefined;
    if (!head && connection.channels.length > 0) {
      connection.holdLive();
      this.hub.join(connection);
      outcome = await this.replay(connection, route, lastEventId);
      if (lastEventId !== undefined || outcome.frames.length > 0 || outcome.reset !== undefined)
        this.metrics.replayed(connection.route, outcome.frames.length, outcome.reset);
      if (!connection.isReachable) return this.abandoned(connection);
    }
    const headers = this.headersFor(exchange);
    try {
      if (head) exchange.rawResponse.writeHead(200, headers).end();
      else connection.open(headers, this.preamble);
    } catch (error) {
      // Node refused a header (ERR_INVALID_CHAR): the framework still owns the response and
      // answers with an error, which must not carry the header again.
      exchange.dropUnsendableHeaders();
      throw error;
    }
    exchange.takeOver();
    if (head) return connection.discard();
    this.pool.opened(connection);
    this.metrics.attempt(connection.route, 'opened', HttpStatus.OK);
    // A `connected` listener may have ended the stream already: it must not start the
    // handler's stream.
    if (connection.state !== 'open') return;
    if (outcome) connection.resumeLive(outcome);
    if (source) this.pipeHandlerEvents(connection, route, source);
  }

  /**
   * What the stream sends before its live events: a client with a `Last-Event-ID` gets what it
   * missed, or `sse:reset`; a first connect gets the route's `replayOnConnect` events and the
   * stream's position.
   */
  private replay(
    connection: SseConnection,
    route: SseRoute,
    lastEventId: string | undefined,
  ): Promise<ReplayOutcome> {
    const { channels } = connection;
    const from = lastEventId === undefined ? undefined : positionsOf(lastEventId, channels.length);
    const last =
      lastEventId === undefined ? (route.replayOnConnect ?? this.options.replayOnConnect) : 0;
    return this.backend.replay({ channels, from, last }).then(
      (replay) => replayOutcome(replay, channels, from, lastEventId),
      (error: unknown) => this.replayFailed(connection, error, lastEventId, last),
    );
  }

  /**
   * History could not be read. A client that resumes or asked for recent events gets
   * `sse:reset`; a first connect that asked for none just starts with live events.
   */
  private replayFailed(
    connection: SseConnection,
    error: unknown,
    lastEventId: string | undefined,
    last: number,
  ): ReplayOutcome {
    this.logger.warn(
      SseMessages.replayFailed(connection.id),
      error instanceof Error ? error.stack : String(error),
    );
    const quiet = lastEventId === undefined && last === 0;
    return {
      frames: [],
      from: undefined,
      to: undefined,
      lastEventId,
      ...(quiet ? {} : { reset: 'unavailable' as const }),
    };
  }

  private headersFor(exchange: HttpExchange): OutgoingHttpHeaders {
    const own = sseHeaders(exchange.rawRequest.httpVersion === '1.1');
    const response = exchange.rawResponse;
    // Checked first: removing a header that is not there still costs Node a property delete.
    for (const name of DROPPED_HEADERS) if (response.hasHeader(name)) response.removeHeader(name);
    const held = exchange.heldHeaders();
    if (held === undefined || Object.keys(held).length === 0) return own;
    const headers: OutgoingHttpHeaders = { ...held, ...own };
    for (const name of DROPPED_HEADERS) delete headers[name];
    return headers;
  }

  private pipeHandlerEvents(
    connection: SseConnection,
    route: SseRoute,
    source: Observable<unknown>,
  ): void {
    // Created first so retirement can reach it even if the source ends while being subscribed;
    // adding to an already-closed Subscription unsubscribes at once.
    const subscription = new Subscription();
    connection.bindHandlerEvents(subscription);
    const fail = (error: unknown, message: string): void => {
      // Thrown mid-stream, it says the same as before the stream: over for good.
      if (error instanceof SseFinishedException) return connection.end('finished');
      this.logger.error(message, error instanceof Error ? error.stack : String(error));
      connection.end('error', eventFrame(errorNotice(streamErrorData(error))));
    };
    subscription.add(
      source.subscribe({
        next: (value) => {
          if (value === undefined) return;
          let frame: Buffer;
          try {
            frame = encodeEvent(toSseEvent(value, route.sender));
          } catch (error) {
            return fail(error, SseMessages.encodeFailedForConnection(connection.id, route.name));
          }
          connection.write(eventFrame(frame), Date.now());
        },
        error: (error: unknown) =>
          fail(error, SseMessages.streamFailed(connection.id, connection.channels)),
        complete: () => connection.end('complete'),
      }),
    );
  }
}

/**
 * The client's `Last-Event-ID` (header, or `lastEventId` query parameter for clients that
 * cannot set headers), if it is an id this server could have written: a stream's own, or one
 * the application chose for a targeted event (`isResumableId()`). Anything else is ignored:
 * never echoed, never logged.
 */
function lastEventIdOf(exchange: HttpExchange): string | undefined {
  const header = exchange.rawRequest.headers['last-event-id'];
  if (typeof header === 'string') return lastEventIdFromHeader(header);
  // Express parses the query string anew on every read of `query`: not for a URL without one.
  if (!exchange.rawRequest.url?.includes('?')) return undefined;
  const query = exchange.request.query?.lastEventId;
  return typeof query === 'string' && isReadableLastEventId(query) ? query : undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * `204 No Content`, which makes `EventSource` stop reconnecting, with the headers set for the
 * route (CORS) and nothing else: no body, so no `ETag` or `Content-Type` from the framework.
 */
function answerFinished(exchange: HttpExchange): void {
  const response = exchange.rawResponse;
  for (const name of DROPPED_HEADERS) if (response.hasHeader(name)) response.removeHeader(name);
  response.writeHead(HttpStatus.NO_CONTENT, exchange.heldHeaders()).end();
  exchange.takeOver();
}

/**
 * What a client learns of its stream's failure: a message, never a stack, and whether
 * reconnecting can help (not for a 4xx: the request itself is refused now).
 */
function streamErrorData(error: unknown): SseStreamErrorData {
  if (!(error instanceof HttpException))
    return {
      message: SseMessages.internalError(),
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      retryable: true,
    };
  const status = error.getStatus();
  return { message: error.message, status, retryable: status >= 500 };
}

/**
 * What a stream sends before its live events, from what its backend read. A client whose
 * `Last-Event-ID` is no position of this stream (`from` undefined) cannot resume: `sse:reset`,
 * carrying where the stream is now. On a first connect, the stream starts just before the
 * first replayed event of each channel, so each replayed event moves its id exactly.
 */
function replayOutcome(
  replay: SseReplayResult,
  channels: readonly string[],
  from: readonly string[] | undefined,
  lastEventId: string | undefined,
): ReplayOutcome {
  const to = replay.positions;
  if (replay.kind === 'reset')
    return { frames: [], from: to, to, lastEventId, reset: replay.reason };
  if (lastEventId !== undefined && from === undefined)
    return { frames: [], from: to, to, lastEventId, reset: 'unknown-id' };
  const start = from ?? startOf(replay.frames, channels, to);
  return { frames: replay.frames, from: start, to, lastEventId };
}

/** Per channel, the position just before its first replayed event, or `to` if it has none. */
function startOf(
  frames: readonly OutboundFrame[],
  channels: readonly string[],
  to: readonly string[],
): string[] {
  const start = [...to];
  const started = new Array<boolean>(channels.length).fill(false);
  for (const { channel, position } of frames) {
    const index = channel === undefined ? -1 : channels.indexOf(channel);
    if (index < 0 || started[index] || position === undefined) continue;
    started[index] = true;
    start[index] = positionBefore(position);
  }
  return start;
}
