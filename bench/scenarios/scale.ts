import { PROJECTED_STREAMS, mostStreams, type BenchParams } from '../config.js';
import type { ClientGroup, ServerHandle } from '../orchestrator/deployment.js';
import type { MemorySample } from '../shared/protocol.js';
import {
  ROUND_METRICS,
  deliveriesMetric,
  measureBursts,
  measureRounds,
  roundLength,
} from './measure.js';
import {
  formatBytes,
  formatCount,
  formatMiB,
  sleep,
  type MetricDefinition,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from './scenario.js';

const SCALE_ID = 'scale';
const MOST_ID = 'scale-most';

/** What both scale points report, in table order. */
const POINT_METRICS: readonly MetricDefinition[] = [
  { key: 'connectsPerSecond', label: 'streams opened/s', better: 'higher', format: formatCount },
  { key: 'rssPerStream', label: 'idle RSS/stream', better: 'lower', format: formatBytes },
  { key: 'heapPerStream', label: 'idle JS heap/stream', better: 'lower', format: formatBytes },
  { key: 'rss', label: 'idle RSS, process', better: 'lower', format: formatMiB },
  { key: 'heapUsed', label: 'idle JS heap, process', better: 'lower', format: formatMiB },
  ...ROUND_METRICS,
];

/**
 * Memory of `PROJECTED_STREAMS` idle streams in one process, from the two points: the growth per
 * stream between them (each point's growth over its own warmed-up baseline, so the two processes'
 * baselines cancel out), added to the process's figure at the larger point.
 */
function projection(key: 'rss' | 'heapUsed', perStream: string, label: string): MetricDefinition {
  return {
    key: `projected${key === 'rss' ? 'Rss' : 'Heap'}`,
    label,
    better: 'lower',
    format: formatMiB,
    derived: {
      inputs: [
        { scenario: SCALE_ID, metric: perStream },
        { scenario: MOST_ID, metric: perStream },
        { scenario: MOST_ID, metric: key },
      ],
      compute: ([small = NaN, large = NaN, atLarge = NaN], params) => {
        const n1 = params.scale.streams;
        const n2 = mostStreams(params);
        const slope = (large * n2 - small * n1) / (n2 - n1);
        return atLarge + slope * (PROJECTED_STREAMS - n2);
      },
    },
  };
}

function scalePoint(
  id: string,
  title: string,
  streams: (params: BenchParams) => number,
  describeStreams: (params: BenchParams) => string,
  extra: readonly MetricDefinition[],
): Scenario {
  return {
    id,
    title,
    isolatesServer: true,
    metrics: [
      ...POINT_METRICS,
      deliveriesMetric('deliveriesPerSecond', 'deliveries/s', streams),
      ...extra,
    ],
    describe: (params) => {
      const { latency: l, throughput: t, warmupConnections } = params.scale;
      return (
        `${describeStreams(params)} on one server process, opened after ${warmupConnections} ` +
        `warm-up, clients in ${params.clientProcesses} processes; idle memory after gc(); ` +
        `1 event x ${l.rounds} rounds after ${l.warmupRounds} warm-up, ${l.gapMs} ms apart; ` +
        `deliveries/s: rounds of ${roundLength(t)} ${t.perTick} per tick, median of ` +
        `${t.rounds} after ${t.warmupRounds} warm-up`
      );
    },
    run: (context) => runPoint(context, streams(context.params)),
  };
}

/**
 * One server process with `streams` streams: the time to open them, their idle memory, the
 * fan-out latency of one event, then deliveries/s. Memory is taken first, while the streams have
 * carried nothing, so no write buffer of a burst is counted as idle memory.
 */
async function runPoint(context: ScenarioContext, streams: number): Promise<ScenarioResult> {
  const { deployment, spec, params, speed } = context;
  if (!(streams > params.scale.warmupConnections))
    throw new Error(`a scale point needs more than the warm-up's streams, got ${streams}`);
  const p = params.scale;
  const cpu = deployment.cpu;
  const server = await deployment.startServer(spec);
  const clients = await deployment.startClients(params.clientProcesses);
  const baseline = await warmUp(server, clients, context);
  const gate = speed.on(() => server.probe());

  const opened = await cpu.measure('open', () =>
    clients.open(server, streams, params.openConcurrency),
  );
  await server.waitForSubscribers(streams);
  await sleep(p.settleMs);
  const idle = await server.memory();

  const publish = (count: number, perTick: number) => server.publish(count, perTick);
  const latency = await measureRounds(p.latency, streams, publish, {
    clients,
    cpu,
    phase: 'latency',
    eventsBefore: 0,
    gate,
  });
  const throughput = await measureBursts({ ...p.throughput, connections: streams }, publish, {
    clients,
    cpu,
    phase: `${p.throughput.perTick}/tick`,
    eventsBefore: latency.eventsAfter,
    gate,
  });
  return {
    metrics: {
      connectsPerSecond: streams / ((opened.headersAt - opened.startedAt) / 1000),
      rssPerStream: (idle.rss - baseline.rss) / streams,
      heapPerStream: (idle.heapUsed - baseline.heapUsed) / streams,
      rss: idle.rss,
      heapUsed: idle.heapUsed,
      ...latency.metrics,
      deliveriesPerSecond: throughput.metrics.deliveriesPerSecond ?? Number.NaN,
    },
    details: {
      streams,
      openMs: opened.headersAt - opened.startedAt,
      baseline,
      idle,
      ...latency.details,
      throughput: { ...throughput.details, ...throughput.metrics },
    },
  };
}

/**
 * Streams opened, sent a few events and closed, so the code of every path is loaded and compiled
 * before the memory baseline and the connect clock; returns the baseline.
 */
async function warmUp(
  server: ServerHandle,
  clients: ClientGroup,
  { params }: ScenarioContext,
): Promise<MemorySample> {
  const { warmupConnections, warmupMessages } = params.scale;
  await clients.open(server, warmupConnections, params.openConcurrency);
  await server.waitForSubscribers(warmupConnections);
  await Promise.all([clients.collect(warmupMessages), server.publish(warmupMessages, 1)]);
  await clients.close();
  await server.waitForSubscribers(0);
  return server.memory();
}

export const scaleScenario = scalePoint(
  SCALE_ID,
  'scale: many streams',
  (params) => params.scale.streams,
  (params) => `${formatCount(params.scale.streams)} streams`,
  [],
);

export const mostStreamsScenario = scalePoint(
  MOST_ID,
  'scale: most streams per process',
  mostStreams,
  (params) => {
    const { openFiles, reserved, streams } = params.streamLimit;
    const most = mostStreams(params);
    const limit =
      `the most one process holds here: open-file limit ${formatCount(openFiles)}, less ` +
      `${formatCount(reserved)} for its other descriptors, is ${formatCount(streams)}`;
    return most === streams
      ? `${formatCount(most)} streams (${limit})`
      : `${formatCount(most)} streams (this run's second point; ${limit})`;
  },
  [
    projection('rss', 'rssPerStream', `RSS, ${formatCount(PROJECTED_STREAMS)} streams (projected)`),
    projection(
      'heapUsed',
      'heapPerStream',
      `JS heap, ${formatCount(PROJECTED_STREAMS)} streams (projected)`,
    ),
  ],
);
