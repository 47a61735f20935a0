import { ROUND_METRICS, measureRounds, serverWithStreams } from './measure.js';
import { formatCount, type Scenario } from './scenario.js';

/** Fan-out latency: `connections` streams, one event per round (see `measureRounds`). */
export const latencyScenario: Scenario = {
  id: 'latency',
  title: 'fan-out latency',
  metrics: ROUND_METRICS,
  describe: ({ latency: p }) =>
    `${formatCount(p.connections)} connections, 1 message x ${p.rounds} rounds after ` +
    `${p.warmupRounds} warm-up, ${p.gapMs} ms apart`,
  async run(context) {
    const p = context.params.latency;
    const { server, clients } = await serverWithStreams(context, p.connections);
    return measureRounds(clients, p, p.connections, (count) => server.publish(count));
  },
};
