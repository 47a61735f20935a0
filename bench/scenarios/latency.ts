import { max, min, percentile } from '../shared/stats.js';
import { formatCount, formatMs, sleep, type Scenario } from './scenario.js';

/**
 * Fan-out latency: `connections` streams, one event per round. Per round, the fan-out time is
 * from the server's publish call to the read that completed the frame on the last stream; the
 * per-client latencies are the same for every stream. Publish and receive times are read from
 * the shared clock (`shared/clock.ts`) in the server and client processes.
 */
export const latencyScenario: Scenario = {
  id: 'latency',
  title: 'fan-out latency',
  metrics: [
    { key: 'fanOutP50', label: 'last client p50', better: 'lower', format: formatMs },
    { key: 'fanOutP99', label: 'last client p99', better: 'lower', format: formatMs },
    { key: 'perClientP50', label: 'per client p50', better: 'lower', format: formatMs },
    { key: 'perClientP99', label: 'per client p99', better: 'lower', format: formatMs },
    { key: 'publishCallP50', label: 'publish call p50', better: 'lower', format: formatMs },
  ],
  describe: ({ latency: p }) =>
    `${formatCount(p.connections)} connections, 1 message x ${p.rounds} rounds after ` +
    `${p.warmupRounds} warm-up, ${p.gapMs} ms apart`,
  async run({ deployment, spec, params }) {
    const p = params.latency;
    const server = await deployment.startServer(spec);
    const clients = await deployment.startClients(params.clientProcesses);
    await clients.open(server, p.connections, params.openConcurrency);
    await server.waitForSubscribers(p.connections);

    const fanOut: number[] = [];
    const publishCall: number[] = [];
    const perClient = new Float64Array(p.connections * p.rounds);
    let filled = 0;
    for (let round = 0; round < p.warmupRounds + p.rounds; round++) {
      const [received, published] = await Promise.all([
        clients.collect(round + 1),
        server.publish(1),
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
  },
};
