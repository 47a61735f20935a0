import { BURST_METRICS, measureBursts, serverWithStreams } from './measure.js';
import { formatCount, type Scenario } from './scenario.js';

/**
 * Fan-out throughput: `connections` streams, bursts of `messages` events, each published once
 * to all of them (see `measureBursts`).
 */
export const throughputScenario: Scenario = {
  id: 'throughput',
  title: 'fan-out throughput',
  metrics: BURST_METRICS,
  describe: ({ throughput: p }) =>
    `${formatCount(p.connections)} connections x ${p.messages} messages x 256 B, median of ` +
    `${p.bursts} bursts after ${p.warmupBursts} warm-up`,
  async run(context) {
    const p = context.params.throughput;
    const { server, clients } = await serverWithStreams(context, p.connections);
    return measureBursts(clients, p, (count) => server.publish(count));
  },
};
