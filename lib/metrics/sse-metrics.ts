import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SseChannelMetadataAccessor } from '../channel/sse-channel-metadata.accessor.js';
import { ConnectionPool } from '../connection/connection-pool.js';
import type { SseConnection } from '../connection/sse-connection.js';
import type { SseBackend } from '../interfaces/sse-backend.interface.js';
import type { ResolvedSseOptions } from '../interfaces/sse-options.interface.js';
import type { SseResetReason } from '../protocol/library-events.js';
import { SSE_BACKEND, SSE_METER, SSE_OPTIONS } from '../sse.constants.js';
import { SSE_ATTRIBUTES, SSE_INSTRUMENTS, type SseAttemptOutcome } from './instruments.js';
import {
  NOOP_COUNTER,
  NOOP_HISTOGRAM,
  type BatchResultLike,
  type CounterLike,
  type HistogramLike,
  type MeterLike,
  type MetricAttributes,
  type ObservableLike,
} from './meter.js';
import { RouteMetrics, routeLabel, routePattern } from './route-metrics.js';

/** Nest's middleware signature, as Express and Fastify (through middie) call it. */
export type GuardWatchMiddleware = (
  request: IncomingMessage & { originalUrl?: string },
  response: ServerResponse,
  next: () => void,
) => void;

/** The middleware watching one controller's `@SseChannel()` routes for refusals before them. */
export interface GuardWatch {
  readonly controller: Type;
  readonly middleware: GuardWatchMiddleware;
}

interface Observables {
  readonly activeStreams: ObservableLike;
  readonly eventsWritten: ObservableLike;
  readonly bytesWritten: ObservableLike;
  readonly eventsDropped: ObservableLike;
  readonly backendAvailable: ObservableLike;
  readonly catchUps: ObservableLike;
  readonly resyncs: ObservableLike;
}

/**
 * Records the module's OpenTelemetry metrics (see `instruments.ts`). Hot paths pay nothing:
 * what grows per event or byte (written, dropped) and what is open now are read from the
 * connections when a reader collects; instruments are only called per connection attempt, per
 * disconnect, per replay and per publish. With metrics off (no meter) the instruments are
 * no-op objects of the same shape, so every call site stays the same.
 */
@Injectable()
export class SseMetrics implements OnModuleInit, OnApplicationShutdown {
  readonly enabled: boolean;
  private readonly attempts: CounterLike;
  private readonly disconnects: CounterLike;
  private readonly streamDuration: HistogramLike;
  private readonly replays: CounterLike;
  private readonly replayedEvents: CounterLike;
  private readonly publishDuration: HistogramLike;
  private readonly publishFanOut: HistogramLike;
  private readonly observables: Observables | undefined;
  private readonly collect = (result: BatchResultLike): void => this.observe(result);
  /**
   * Per controller class and handler (the method Nest routes to; one for every controller that
   * inherits it), its route's metrics. Bounded by the app's routes.
   */
  private readonly routes = new Map<object, Map<object, RouteMetrics>>();
  /** Publish attributes per channel label and error type (both from bounded sets). */
  private readonly publishAttributes = new Map<string, MetricAttributes>();
  private readonly policyAttributes: MetricAttributes;
  private readonly backendAttributes: MetricAttributes;
  /** Stands for the route of a stream whose route has no metrics (metrics off). */
  private readonly unmeasured = new RouteMetrics('', () => undefined);
  /**
   * The route whose `finish` listener the guard watch put on a response: the route that serves
   * the request may be another one (Fastify prefers a static route to a parametric one declared
   * before it), and must take that listener off.
   */
  private readonly watched = new WeakMap<ServerResponse, RouteMetrics>();

  constructor(
    @Inject(SSE_METER) private readonly meter: MeterLike | undefined,
    @Inject(SSE_OPTIONS) private readonly options: ResolvedSseOptions,
    @Inject(SSE_BACKEND) private readonly backend: SseBackend,
    private readonly pool: ConnectionPool,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: SseChannelMetadataAccessor,
  ) {
    this.enabled = meter !== undefined;
    const counter = (definition: (typeof SSE_INSTRUMENTS)[keyof typeof SSE_INSTRUMENTS]) =>
      meter ? meter.createCounter(definition.name, definition) : NOOP_COUNTER;
    const histogram = (definition: (typeof SSE_INSTRUMENTS)[keyof typeof SSE_INSTRUMENTS]) =>
      meter ? meter.createHistogram(definition.name, definition) : NOOP_HISTOGRAM;
    this.attempts = counter(SSE_INSTRUMENTS.attempts);
    this.disconnects = counter(SSE_INSTRUMENTS.disconnects);
    this.streamDuration = histogram(SSE_INSTRUMENTS.streamDuration);
    this.replays = counter(SSE_INSTRUMENTS.replays);
    this.replayedEvents = counter(SSE_INSTRUMENTS.replayedEvents);
    this.publishDuration = histogram(SSE_INSTRUMENTS.publishDuration);
    this.publishFanOut = histogram(SSE_INSTRUMENTS.publishFanOut);
    this.observables = meter && createObservables(meter);
    this.policyAttributes = Object.freeze({ [SSE_ATTRIBUTES.policy]: options.slowConsumer });
    this.backendAttributes = Object.freeze({
      [SSE_ATTRIBUTES.backend]: backend.constructor.name,
    });
  }

  /** Collection starts with the module: a reader sees this process's streams from then on. */
  onModuleInit(): void {
    if (this.meter && this.observables)
      this.meter.addBatchObservableCallback(this.collect, Object.values(this.observables));
  }

  /**
   * The provider may outlive the application (one passed in `metrics.meterProvider`, the global
   * one): it must stop reading this one's connections.
   */
  onApplicationShutdown(): void {
    if (this.meter && this.observables)
      this.meter.removeBatchObservableCallback(this.collect, Object.values(this.observables));
  }

  /**
   * The metrics of the route `handler` belongs to (`handler` as Nest routes to it), made on first
   * use for a route boot-time discovery did not see.
   */
  routeOf(controller: { readonly name: string }, handler: object): RouteMetrics {
    if (!this.enabled) return this.unmeasured;
    let routes = this.routes.get(controller);
    if (!routes) this.routes.set(controller, (routes = new Map()));
    let route = routes.get(handler);
    if (route === undefined) {
      const metadata = this.accessor.getChannelMetadata(handler);
      const label = routeLabel(this.accessor.getControllerPath(controller), metadata?.path ?? '');
      route = new RouteMetrics(label, this.unreached);
      routes.set(handler, route);
    }
    return route;
  }

  /**
   * The request reached its route: whatever it is answered now, the route records it, not the
   * guard watch.
   */
  reached(response: ServerResponse): void {
    const watched = this.enabled ? this.watched.get(response) : undefined;
    if (watched) response.removeListener('finish', watched.unreachedFinish);
  }

  /** Counts a request of `route` with what became of it, and its status if it got one. */
  attempt(route: RouteMetrics | undefined, outcome: SseAttemptOutcome, status?: number): void {
    if (!this.enabled) return;
    const attributes = (route ?? this.unmeasured).with(`${outcome} ${status ?? ''}`, () => ({
      [SSE_ATTRIBUTES.outcome]: outcome,
      ...(status !== undefined && { [SSE_ATTRIBUTES.status]: status }),
    }));
    this.attempts.add(1, attributes);
  }

  /**
   * A stream started with history (it resumed from a `Last-Event-ID`, or was sent recent
   * events): how many events it replayed, or why it was reset.
   */
  replayed(
    measured: RouteMetrics | undefined,
    events: number,
    reset: SseResetReason | undefined,
  ): void {
    if (!this.enabled) return;
    const route = measured ?? this.unmeasured;
    const attributes =
      reset === undefined
        ? route.with('replayed', () => ({ [SSE_ATTRIBUTES.replayOutcome]: 'replayed' }))
        : route.with(`reset ${reset}`, () => ({
            [SSE_ATTRIBUTES.replayOutcome]: 'reset',
            [SSE_ATTRIBUTES.resetReason]: reset,
          }));
    this.replays.add(1, attributes);
    if (events > 0) this.replayedEvents.add(events, route.attributes);
  }

  /** A connection is gone: if its stream had opened, counts its end by reason, and its life. */
  closed(connection: SseConnection): void {
    if (!this.enabled || !connection.wasOpened) return;
    const reason = connection.closeReason ?? 'client';
    const route = connection.route ?? this.unmeasured;
    const attributes = route.with(`closed ${reason}`, () => ({
      [SSE_ATTRIBUTES.closeReason]: reason,
    }));
    this.disconnects.add(1, attributes);
    this.streamDuration.record((Date.now() - connection.connectedAt) / 1000, attributes);
  }

  /** When a publish starts, for `published()`; 0 (no clock read) while metrics are off. */
  publishStarted(): number {
    return this.enabled ? performance.now() : 0;
  }

  /**
   * A publish to `channel` that began at `started` (`publishStarted()`) settled: reached
   * `delivered` streams of this process, or failed with `error`.
   */
  published(channel: string, started: number, delivered: number): void {
    if (!this.enabled) return;
    const attributes = this.publishAttributesOf(channel, undefined);
    this.publishDuration.record((performance.now() - started) / 1000, attributes);
    this.publishFanOut.record(delivered, attributes);
  }

  /** A publish that began at `started` failed: its duration, with `error.type`. */
  publishFailed(channel: string, started: number, error: unknown): void {
    if (!this.enabled) return;
    const attributes = this.publishAttributesOf(channel, errorType(error));
    this.publishDuration.record((performance.now() - started) / 1000, attributes);
  }

  /**
   * Per controller with `@SseChannel()` routes, the middleware that counts their requests
   * answered before reaching them (a guard's 401/403, a pipe's 400), for `SseModule` to apply
   * (Nest runs middleware before any guard). None while metrics are off.
   */
  guardWatches(): GuardWatch[] {
    if (!this.enabled) return [];
    const watches: GuardWatch[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller?.prototype) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      const routes: Array<{ pattern: RegExp; route: RouteMetrics }> = [];
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[method];
        if (typeof handler !== 'function' || !this.accessor.getChannelMetadata(handler)) continue;
        const route = this.routeOf(controller, handler);
        routes.push({ pattern: routePattern(route.label), route });
      }
      if (routes.length > 0)
        watches.push({ controller, middleware: guardWatch(routes, this.watched) });
    }
    return watches;
  }

  /** A request answered before its route ran, with this status. */
  private readonly unreached = (route: RouteMetrics, status: number): void => {
    // 2xx/3xx: something answered in the route's place (a cache interceptor): not an attempt.
    if (status < 400) return;
    const outcome =
      status === 401 || status === 403 ? 'denied' : status < 500 ? 'rejected' : 'error';
    this.attempt(route, outcome, status);
  };

  private publishAttributesOf(channel: string, error: string | undefined): MetricAttributes {
    const label = this.channelLabel(channel);
    const key = `${label ?? ''}\n${error ?? ''}`;
    let attributes = this.publishAttributes.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze({
        ...(label !== undefined && { [SSE_ATTRIBUTES.channel]: label }),
        ...(error !== undefined && { [SSE_ATTRIBUTES.errorType]: error }),
      });
      this.publishAttributes.set(key, attributes);
    }
    return attributes;
  }

  /**
   * The app's label for `channel` (`metrics.channelAttribute`), if any. A function that throws
   * labels nothing: recording a metric must never fail a publish that was delivered.
   */
  private channelLabel(channel: string): string | undefined {
    try {
      return this.options.metrics.channelAttribute?.(channel);
    } catch {
      return undefined;
    }
  }

  /** Collection: one pass over the connections, then the backend's own report. */
  private observe(result: BatchResultLike): void {
    const observables = this.observables as Observables;
    const totals = { ...this.pool.retiredTotals };
    const open = new Map<MetricAttributes, number>();
    // Every series seen once is observed, at 0 when nothing is open, or it would keep its value.
    for (const routes of this.routes.values())
      for (const route of routes.values())
        for (const attributes of route.openSeries()) open.set(attributes, 0);
    const labels = this.options.metrics.channelAttribute && new Map<string, string | undefined>();
    for (const connection of this.pool.values()) {
      totals.eventsSent += connection.eventsSent;
      totals.bytesSent += connection.bytesSent;
      totals.droppedEvents += connection.droppedEvents;
      if (connection.state !== 'open') continue;
      const route = connection.route ?? this.unmeasured;
      for (const attributes of labels
        ? this.labelled(route, connection, labels)
        : [route.attributes])
        open.set(attributes, (open.get(attributes) ?? 0) + 1);
    }
    for (const [attributes, count] of open)
      result.observe(observables.activeStreams, count, attributes);
    result.observe(observables.eventsWritten, totals.eventsSent);
    result.observe(observables.bytesWritten, totals.bytesSent);
    result.observe(observables.eventsDropped, totals.droppedEvents, this.policyAttributes);
    const health = this.backend.health?.();
    result.observe(
      observables.backendAvailable,
      health === undefined || health.available ? 1 : 0,
      this.backendAttributes,
    );
    if (health?.catchUp) {
      result.observe(observables.catchUps, health.catchUp.started, this.backendAttributes);
      result.observe(observables.resyncs, health.catchUp.resyncs, this.backendAttributes);
    }
  }

  /**
   * The attributes a stream is counted under with `channelAttribute`: once per distinct label
   * of its channels, or under its route alone if none has one. `labels` caches the app's
   * function per channel for one collection.
   */
  private labelled(
    route: RouteMetrics,
    connection: SseConnection,
    labels: Map<string, string | undefined>,
  ): MetricAttributes[] {
    const found: MetricAttributes[] = [];
    for (const channel of connection.channels) {
      if (!labels.has(channel)) labels.set(channel, this.channelLabel(channel));
      const label = labels.get(channel);
      if (label === undefined) continue;
      const attributes = route.withChannel(label);
      if (!found.includes(attributes)) found.push(attributes);
    }
    return found.length > 0 ? found : [route.attributes];
  }
}

function createObservables(meter: MeterLike): Observables {
  const { activeStreams, eventsWritten, bytesWritten, eventsDropped } = SSE_INSTRUMENTS;
  const { backendAvailable, catchUps, resyncs } = SSE_INSTRUMENTS;
  return {
    activeStreams: meter.createObservableUpDownCounter(activeStreams.name, activeStreams),
    eventsWritten: meter.createObservableCounter(eventsWritten.name, eventsWritten),
    bytesWritten: meter.createObservableCounter(bytesWritten.name, bytesWritten),
    eventsDropped: meter.createObservableCounter(eventsDropped.name, eventsDropped),
    backendAvailable: meter.createObservableGauge(backendAvailable.name, backendAvailable),
    catchUps: meter.createObservableCounter(catchUps.name, catchUps),
    resyncs: meter.createObservableCounter(resyncs.name, resyncs),
  };
}

/**
 * The middleware of one controller: a GET that asks for an event stream (`Accept:
 * text/event-stream`, as EventSource and every SSE client send it) and whose path ends like one
 * of its `@SseChannel()` routes gets that route's `finish` listener, which the serving route
 * takes off when the request reaches it (`watched` says which). The Accept header keeps out the
 * other routes of the controller a path may also match; a request watched twice (overlapping
 * paths) counts once.
 */
function guardWatch(
  routes: ReadonlyArray<{ pattern: RegExp; route: RouteMetrics }>,
  watched: WeakMap<ServerResponse, RouteMetrics>,
): GuardWatchMiddleware {
  return (request, response, next) => {
    if (request.method === 'GET' && acceptsEventStream(request.headers.accept)) {
      // Express strips a middleware's mount path from `url`, not from `originalUrl`.
      const url = request.originalUrl ?? request.url ?? '';
      const query = url.indexOf('?');
      const path = query < 0 ? url : url.slice(0, query);
      for (const { pattern, route } of routes) {
        if (!pattern.test(path)) continue;
        const before = watched.get(response);
        if (before) response.removeListener('finish', before.unreachedFinish);
        response.on('finish', route.unreachedFinish);
        watched.set(response, route);
        break;
      }
    }
    next();
  };
}

function acceptsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && accept.toLowerCase().includes('text/event-stream');
}

/** `error.type`: an SseError's stable code, else the error's class name. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.constructor.name : '_OTHER';
}
