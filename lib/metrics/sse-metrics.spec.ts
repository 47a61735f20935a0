import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { metrics as otelMetrics, type Meter } from '@opentelemetry/api';
import {
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { MemoryBackend } from '../backends/memory/memory.backend.js';
import { SseChannelFinishedError } from '../errors/sse-channel-finished.error.js';
import type { SseBackendHealth } from '../interfaces/sse-health.interface.js';
import { resolveSseOptions } from '../options/resolve-sse-options.js';
import type { SseModuleOptions } from '../options/sse-module-options.js';
import { SseModule } from '../sse.module.js';
import { SSE_INSTRUMENTS } from './instruments.js';
import type { MeterLike } from './meter.js';
import { SseMetrics } from './sse-metrics.js';

// Checked by tsc: the API's Meter fits the shape the module records through.
const fits = (meter: Meter): MeterLike => meter;

/** Collects on demand, as an exporter would when scraped. */
class ManualReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}

  /** The data points of the instrument `name`, from one collection. */
  async points(name: string): Promise<Array<DataPoint<number | Histogram>>> {
    const { resourceMetrics } = await this.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((m) => m.descriptor.name === name);
    return (metric?.dataPoints ?? []) as Array<DataPoint<number | Histogram>>;
  }
}

/** A memory backend whose health says what a test sets. */
class ReportingBackend extends MemoryBackend {
  report: SseBackendHealth = { available: true };
  override health(): SseBackendHealth {
    return this.report;
  }
}

describe('SseMetrics', () => {
  let context: INestApplicationContext | undefined;
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  const boot = async (options: SseModuleOptions = {}) => {
    const reader = new ManualReader();
    const provider = new MeterProvider({ readers: [reader] });
    const module = await Test.createTestingModule({
      imports: [
        SseModule.forRoot({ ...options, metrics: { meterProvider: provider, ...options.metrics } }),
      ],
    }).compile();
    context = await module.init();
    return { reader, metrics: module.get(SseMetrics, { strict: false }) };
  };

  it.each([
    [{ enabled: 'yes' }, 'metrics.enabled must be true or false (got "yes")'],
    [{ meterProvider: {} }, 'metrics.meterProvider must be an OpenTelemetry MeterProvider'],
    [{ channelAttribute: 'rooms' }, 'metrics.channelAttribute must be a function'],
    [{ labels: true }, 'metrics.labels is not an SseModule option'],
  ])('refuses the metrics option %j at boot, naming it', (metrics, message) => {
    expect(() => resolveSseOptions({ metrics } as never)).toThrow(message);
  });

  it('records through a Meter of the OpenTelemetry API', () => {
    const meter = fits(otelMetrics.getMeter('check'));
    expect(typeof meter.addBatchObservableCallback).toBe('function');
  });

  it('records publish durations and fan-out, with the channel label the app maps to', async () => {
    const { reader, metrics } = await boot({
      metrics: { channelAttribute: (channel) => channel.split('/')[0] },
    });
    metrics.published('rooms/1', metrics.publishStarted(), 3);
    metrics.published('rooms/2', metrics.publishStarted(), 5);
    metrics.published('jobs/1', metrics.publishStarted(), 0);
    const fanOut = await reader.points(SSE_INSTRUMENTS.publishFanOut.name);
    expect(fanOut.map((p) => [p.attributes, (p.value as Histogram).sum])).toEqual([
      [{ 'sse.channel': 'rooms' }, 8],
      [{ 'sse.channel': 'jobs' }, 0],
    ]);
    const durations = await reader.points(SSE_INSTRUMENTS.publishDuration.name);
    expect(durations.map((p) => (p.value as Histogram).count)).toEqual([2, 1]);
  });

  it('never takes a channel name as an attribute without a mapping', async () => {
    const { reader, metrics } = await boot();
    metrics.published('rooms/1', metrics.publishStarted(), 1);
    metrics.publishFailed(
      'rooms/2',
      metrics.publishStarted(),
      new SseChannelFinishedError('rooms/2'),
    );
    const points = await reader.points(SSE_INSTRUMENTS.publishDuration.name);
    expect(points.map((p) => p.attributes)).toEqual([{}, { 'error.type': 'SSE_CHANNEL_FINISHED' }]);
  });

  it('observes the backend: available, catch-ups and resyncs', async () => {
    const backend = new ReportingBackend();
    const { reader } = await boot({ backend });
    const attributes = { 'sse.backend': 'ReportingBackend' };
    expect(await reader.points(SSE_INSTRUMENTS.backendAvailable.name)).toEqual([
      expect.objectContaining({ attributes, value: 1 }),
    ]);
    backend.report = {
      available: false,
      reason: 'down',
      catchUp: { inProgress: true, started: 2, resyncs: 1 },
    };
    expect(await reader.points(SSE_INSTRUMENTS.backendAvailable.name)).toEqual([
      expect.objectContaining({ attributes, value: 0 }),
    ]);
    expect(await reader.points(SSE_INSTRUMENTS.catchUps.name)).toEqual([
      expect.objectContaining({ attributes, value: 2 }),
    ]);
    expect(await reader.points(SSE_INSTRUMENTS.resyncs.name)).toEqual([
      expect.objectContaining({ attributes, value: 1 }),
    ]);
  });

  it('observes dropped events under the slow-consumer policy', async () => {
    const { reader } = await boot({ slowConsumer: 'drop-oldest' });
    expect(await reader.points(SSE_INSTRUMENTS.eventsDropped.name)).toEqual([
      expect.objectContaining({
        attributes: { 'sse.slow_consumer.policy': 'drop-oldest' },
        value: 0,
      }),
    ]);
  });

  it('stops observing the application once it has shut down', async () => {
    const backend = new ReportingBackend();
    const { reader } = await boot({ backend });
    const available = async () =>
      (await reader.points(SSE_INSTRUMENTS.backendAvailable.name)).map((p) => p.value);
    expect(await available()).toEqual([1]);
    await context?.close();
    context = undefined;
    backend.report = { available: false };
    // The provider keeps the last value it saw; the closed application is no longer asked.
    expect(await available()).toEqual([1]);
  });

  it('creates no instrument and watches no route with metrics.enabled false', async () => {
    const { reader, metrics } = await boot({ metrics: { enabled: false } });
    metrics.published('rooms/1', metrics.publishStarted(), 1);
    expect(metrics.enabled).toBe(false);
    expect(metrics.publishStarted()).toBe(0);
    expect(metrics.guardWatches()).toEqual([]);
    const { resourceMetrics } = await reader.collect();
    expect(resourceMetrics.scopeMetrics).toEqual([]);
  });
});
