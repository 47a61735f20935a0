import type { RoundParams, ThroughputParams } from '../config.js';
import type { ClientGroup, ServerHandle } from '../orchestrator/deployment.js';
import type { PublishTimes } from '../shared/protocol.js';
import { max, median, min, percentile } from '../shared/stats.js';
import {
  formatBytes,
  formatCount,
  formatMs,
  sleep,
  type MetricDefinition,
  type ScenarioContext,
  type ScenarioResult,
} from './scenario.js';

/** Sends `count` events to the clients' streams, however the scenario sends them. */
export type Send = (count: number) => Promise<PublishTimes>;

export const DELIVERIES: MetricDefinition = {
  key: 'deliveriesPerSecond',
  label: 'deliveries/s',
  better: 'higher',
  format: formatCount,
};

/** What `measureBursts` reports, in table order. */
export const BURST_METRICS: readonly MetricDefinition[] = [
  DELIVERIES,
  { key: 'wireBytesPerEvent', label: 'wire bytes/event', better: 'lower', format: formatBytes },
];

/** What `measureRounds` reports, in table order. */
export const ROUND_METRICS: readonly MetricDefinition[] = [
  { key: 'fanOutP50', label: 'last client p50', better: 'lower', format: formatMs },
  { key: 'fanOutP99', label: 'last client p99', better: 'lower', format: formatMs },
  { key: 'perClientP50', label: 'per client p50', better: 'lower', format: formatMs },
  { key: 'perClientP99', label: 'per client p99', better: 'lower', format: formatMs },
  { key: 'publishCallP50', label: 'publish call p50', better: 'lower', format: formatMs },
];

/** A fresh server with `connections` streams open to it, as the server itself counts them. */
export async function serverWithStreams(
  { deployment, spec, params }: ScenarioContext,
  connections: number,
): Promise<{ server: ServerHandle; clients: ClientGroup }> {
  const server = await deployment.startServer(spec);
  const clients = await deployment.startClients(params.clientProcesses);
  await clients.open(server, connections, params.openConcurrency);
  await server.waitForSubscribers(connections);
  return { server, clients };
}

/** Frames each stream has once `measureBursts` is done, for whatever is measured next. */
export const burstFrames = (p: ThroughputParams): number =>
  (p.warmupBursts + p.bursts) * p.messages;

/**
 * Bursts of `messages` events to the open streams. A burst's rate is the frames all clients
 * received divided by the time from the server's first send call to the read that completed the
 * last frame anywhere; the figure is the median over the measured bursts.
 */
export async function measureBursts(
  clients: ClientGroup,
  p: ThroughputParams,
  send: Send,
): Promise<ScenarioResult> {
  const deliveries = p.connections * p.messages;
  const rates: number[] = [];
  const wireBytes: number[] = [];
  let bytesBefore = (await clients.collect(0)).bodyBytes;
  let target = 0;
  for (let burst = 0; burst < p.warmupBursts + p.bursts; burst++) {
    target += p.messages;
    const [received, sent] = await Promise.all([clients.collect(target), send(p.messages)]);
    if (burst >= p.warmupBursts) {
      const elapsedMs = max(received.times) - sent.firstAt;
      rates.push(deliveries / (elapsedMs / 1000));
      wireBytes.push((received.bodyBytes - bytesBefore) / deliveries);
    }
    bytesBefore = received.bodyBytes;
    await sleep(p.pauseMs);
  }
  return {
    metrics: { deliveriesPerSecond: median(rates), wireBytesPerEvent: median(wireBytes) },
    details: {
      deliveriesPerBurst: deliveries,
      ratesPerBurst: rates,
      minRate: min(rates),
      maxRate: max(rates),
    },
  };
}

/**
 * Rounds of one event to `connections` open streams that have `framesBefore` frames each. Per
 * round, the fan-out time is from the server's publish call to the read that completed the
 * frame on the last stream; the per-client latencies are the same for every stream. Publish and
 * receive times are read from the shared clock (`shared/clock.ts`) in different processes.
 */
export async function measureRounds(
  clients: ClientGroup,
  p: RoundParams,
  connections: number,
  publish: Send,
  framesBefore = 0,
): Promise<ScenarioResult> {
  const fanOut: number[] = [];
  const publishCall: number[] = [];
  const perClient = new Float64Array(connections * p.rounds);
  let filled = 0;
  for (let round = 0; round < p.warmupRounds + p.rounds; round++) {
    const [received, published] = await Promise.all([
      clients.collect(framesBefore + round + 1),
      publish(1),
    ]);
    if (round >= p.warmupRounds) {
      fanOut.push(max(received.times) - published.firstAt);
      publishCall.push(published.lastAt - published.firstAt);
      for (const at of received.times) perClient[filled++] = at - published.firstAt;
    }
    await sleep(p.gapMs);
  }
  const perClientLatencies = perClient.subarray(0, filled);
  return {
    metrics: {
      fanOutP50: percentile(fanOut, 50),
      fanOutP99: percentile(fanOut, 99),
      perClientP50: percentile(perClientLatencies, 50),
      perClientP99: percentile(perClientLatencies, 99),
      publishCallP50: percentile(publishCall, 50),
    },
    details: {
      fanOutPerRoundMs: fanOut,
      publishCallPerRoundMs: publishCall,
      perClientMinMs: min(perClientLatencies),
    },
  };
}
