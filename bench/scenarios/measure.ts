import type { BenchParams, RoundParams, ThroughputParams } from '../config.js';
import type { ClientGroup, ServerHandle } from '../orchestrator/deployment.js';
import type { CpuPhases } from '../orchestrator/cpu-meter.js';
import type { RoundGate } from '../orchestrator/speed-gate.js';
import type { PublishTimes } from '../shared/protocol.js';
import { max, median, min, percentile } from '../shared/stats.js';
import {
  formatBytes,
  formatCount,
  formatMs,
  sleep,
  type MetricDefinition,
  type ScenarioContext,
} from './scenario.js';

/** Sends `count` events to the clients' streams, `perTick` calls per tick. */
export type Send = (count: number, perTick: number) => Promise<PublishTimes>;

/** A deliveries/s figure, checked against the clients' capacity on `capacityAt` streams. */
export function deliveriesMetric(
  key: string,
  label: string,
  capacityAt: (params: BenchParams) => number,
): MetricDefinition {
  return {
    key,
    label,
    better: 'higher',
    format: formatCount,
    clientCheck: { kind: 'capacity', streams: capacityAt },
  };
}

export const WIRE_BYTES: MetricDefinition = {
  key: 'wireBytesPerEvent',
  label: 'wire bytes/event',
  better: 'lower',
  format: formatBytes,
};

/** What `measureRounds` reports, in table order. */
export const ROUND_METRICS: readonly MetricDefinition[] = [
  {
    key: 'fanOutP50',
    label: 'last client p50',
    better: 'lower',
    format: formatMs,
    clientCheck: { kind: 'lag', lagMetric: 'clientLagP50' },
  },
  { key: 'fanOutP99', label: 'last client p99', better: 'lower', format: formatMs },
  { key: 'perClientP50', label: 'per client p50', better: 'lower', format: formatMs },
  { key: 'perClientP99', label: 'per client p99', better: 'lower', format: formatMs },
  { key: 'publishCallP50', label: 'publish call p50', better: 'lower', format: formatMs },
  {
    key: 'clientLagP50',
    label: 'client lag p50',
    better: 'lower',
    format: formatMs,
    vsRaw: false,
  },
];

/**
 * The same, when the event is published on another server than the one writing it: the
 * publisher's last write says nothing of when the writer's was, so there is no client lag.
 */
export const REMOTE_ROUND_METRICS: readonly MetricDefinition[] = ROUND_METRICS.filter(
  (m) => m.key !== 'clientLagP50',
).map(({ clientCheck: _check, ...metric }) => metric);

/** Where a measurement runs: its streams' clients, and the phase its CPU use is filed under. */
export interface Measuring {
  readonly clients: ClientGroup;
  readonly cpu: CpuPhases;
  readonly phase: string;
  /** Events every stream has received before the measurement starts. */
  readonly eventsBefore: number;
  /** Keeps the measured rounds out of spells of a slowed CPU (`speed-gate.ts`). */
  readonly gate: RoundGate;
}

export interface Measured {
  readonly metrics: Record<string, number>;
  readonly details: Record<string, unknown>;
  /** Events every stream has received once the measurement is done. */
  readonly eventsAfter: number;
}

/**
 * A fresh server with `connections` streams open to it, as the server itself counts them, and
 * the gate its rounds are measured through.
 */
export async function serverWithStreams(
  { deployment, spec, params, speed }: ScenarioContext,
  connections: number,
): Promise<{ server: ServerHandle; clients: ClientGroup; gate: RoundGate }> {
  const server = await deployment.startServer(spec);
  const clients = await deployment.startClients(params.clientProcesses);
  await clients.open(server, connections, params.openConcurrency);
  await server.waitForSubscribers(connections);
  return { server, clients, gate: speed.on(() => server.probe()) };
}

/**
 * Rounds of `messages` events (or, with `roundMs`, of about that long), sent `perTick` calls per
 * tick. A round's rate is the events all streams received divided by the time from the server's
 * first send call to the read that brought the last event anywhere; the figure is the median over
 * the measured rounds. Wire bytes are the body bytes received (chunk framing included) per event
 * delivered.
 */
export async function measureBursts(
  p: ThroughputParams,
  send: Send,
  { clients, cpu, phase, eventsBefore, gate }: Measuring,
): Promise<Measured> {
  const rates: number[] = [];
  const wireBytes: number[] = [];
  const slowdowns: number[] = [];
  let bytesBefore = (await clients.collect(eventsBefore)).bodyBytes;
  let target = eventsBefore;
  let messages = p.messages;
  const oneRound = async () => {
    target += messages;
    const [received, sent] = await Promise.all([
      clients.collect(target),
      send(messages, p.perTick),
    ]);
    const bytes = received.bodyBytes - bytesBefore;
    bytesBefore = received.bodyBytes;
    const deliveries = p.connections * messages;
    return { deliveries, rate: deliveries / ((max(received.times) - sent.firstAt) / 1000), bytes };
  };
  for (let round = 0; round < p.warmupRounds; round++) {
    const { rate } = await thenPause(oneRound(), p.pauseMs);
    messages = roundMessages(p, rate);
  }
  while (rates.length < p.rounds) {
    const measured = () => thenPause(cpu.measure(phase, oneRound), p.pauseMs);
    const { value, slowdown } = await gate.round(measured);
    rates.push(value.rate);
    wireBytes.push(value.bytes / value.deliveries);
    slowdowns.push(slowdown);
  }
  return {
    metrics: { deliveriesPerSecond: median(rates), wireBytesPerEvent: median(wireBytes) },
    details: {
      perTick: p.perTick,
      deliveriesPerRound: p.connections * messages,
      ratesPerRound: rates,
      minRate: min(rates),
      maxRate: max(rates),
      cpuSlowdownPerRound: slowdowns,
    },
    eventsAfter: target,
  };
}

/** How long `measureBursts` makes a round, for a scenario's description. */
export function roundLength(p: Pick<ThroughputParams, 'messages' | 'roundMs'>): string {
  if (p.roundMs === undefined) return `${p.messages} events`;
  return `about ${formatCount(p.roundMs)} ms (whole ticks, at least ${p.messages} events)`;
}

/** Events in a measured round: whole ticks filling `roundMs` at `rate`, at least `messages`. */
function roundMessages(p: ThroughputParams, rate: number): number {
  if (p.roundMs === undefined) return p.messages;
  const ticks = Math.ceil((rate * p.roundMs) / 1000 / p.connections / p.perTick);
  return Math.max(p.messages, ticks * p.perTick);
}

/**
 * Rounds of one event to `connections` open streams. Per round, the fan-out time is from the
 * server's publish call to the read that brought the event to the last stream; the per-client
 * latencies are the same for every stream. The client lag is from the server's last write
 * (`PublishTimes.settledAt`) to that last read: near zero when the clients keep up with the
 * server, so that the fan-out time is the server's. Publish and receive times are read from the
 * shared clock (`shared/clock.ts`) in different processes.
 */
export async function measureRounds(
  p: RoundParams,
  connections: number,
  publish: Send,
  { clients, cpu, phase, eventsBefore, gate }: Measuring,
): Promise<Measured> {
  const fanOut: number[] = [];
  const publishCall: number[] = [];
  const lag: number[] = [];
  const slowdowns: number[] = [];
  const perClient = new Float64Array(connections * p.rounds);
  let filled = 0;
  let target = eventsBefore;
  const oneRound = () => {
    target++;
    return Promise.all([clients.collect(target), publish(1, 1)]);
  };
  for (let round = 0; round < p.warmupRounds; round++) await thenPause(oneRound(), p.gapMs);
  while (fanOut.length < p.rounds) {
    const measured = () => thenPause(cpu.measure(phase, oneRound), p.gapMs);
    const { value, slowdown } = await gate.round(measured);
    const [received, published] = value;
    const lastClientAt = max(received.times);
    fanOut.push(lastClientAt - published.firstAt);
    publishCall.push(published.lastAt - published.firstAt);
    lag.push(lastClientAt - published.settledAt);
    for (const at of received.times) perClient[filled++] = at - published.firstAt;
    slowdowns.push(slowdown);
  }
  const perClientLatencies = perClient.subarray(0, filled);
  return {
    metrics: {
      fanOutP50: percentile(fanOut, 50),
      fanOutP99: percentile(fanOut, 99),
      perClientP50: percentile(perClientLatencies, 50),
      perClientP99: percentile(perClientLatencies, 99),
      publishCallP50: percentile(publishCall, 50),
      clientLagP50: percentile(lag, 50),
    },
    details: {
      fanOutPerRoundMs: fanOut,
      publishCallPerRoundMs: publishCall,
      clientLagPerRoundMs: lag,
      perClientMinMs: min(perClientLatencies),
      cpuSlowdownPerRound: slowdowns,
    },
    eventsAfter: target,
  };
}

/** `round`'s value, once it has settled and `ms` more have passed (outside any measured window). */
async function thenPause<T>(round: Promise<T>, ms: number): Promise<T> {
  const value = await round;
  await sleep(ms);
  return value;
}
