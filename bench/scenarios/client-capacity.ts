import type { BenchParams } from '../config.js';
import type { Deployment } from '../orchestrator/deployment.js';
import { max, median } from '../shared/stats.js';
import { formatCount } from './scenario.js';

/** What the clients took from the client-capacity reference on some number of streams. */
export interface CapacityFigure {
  readonly streams: number;
  readonly clientProcesses: number;
  /** Median over the measured rounds. */
  readonly deliveriesPerSecond: number;
  readonly ratesPerRound: readonly number[];
}

/**
 * The clients' own capacity on `streams` streams: a server that writes pre-built frames as fast
 * as the sockets drain (`servers/client-capacity.ts`), so whatever limits the rate is the
 * clients (and the kernel), not the server. A round writes about `deliveries` frames in all; its
 * rate is frames received / time from the first write to the read that brought the last.
 */
export async function measureClientCapacity(
  deployment: Deployment,
  params: BenchParams,
  streams: number,
): Promise<CapacityFigure> {
  const p = params.capacity;
  const server = await deployment.startCapacityServer();
  const clients = await deployment.startClients(params.clientProcesses);
  await clients.open(server, streams, params.openConcurrency);
  await server.waitForSubscribers(streams);
  const perStream = Math.max(1, Math.ceil(p.deliveries / streams));
  const rates: number[] = [];
  let target = 0;
  for (let round = 0; round < p.warmupRounds + p.rounds; round++) {
    target += perStream;
    const both = () => Promise.all([clients.collect(target), server.flood(perStream)]);
    const measured = round >= p.warmupRounds;
    const [received, { startedAt }] = measured
      ? await deployment.cpu.measure(`${formatCount(streams)} streams`, both)
      : await both();
    if (measured) rates.push((streams * perStream) / ((max(received.times) - startedAt) / 1000));
  }
  return {
    streams,
    clientProcesses: params.clientProcesses,
    deliveriesPerSecond: median(rates),
    ratesPerRound: rates,
  };
}
