import { BURST_METRICS, measureBursts, serverWithStreams } from './measure.js';
import { formatCount, type Scenario } from './scenario.js';

/**
 * Targeted sends: the bursts of the fan-out throughput scenario, but every event goes to each
 * stream on its own, through the API for one connection (this library's `sendTo()`), so finding
 * the connection and encoding once per send are in the figure.
 */
export const targetedScenario: Scenario = {
  id: 'targeted',
  title: 'targeted sends',
  metrics: BURST_METRICS,
  describe: ({ throughput: p }) =>
    `${formatCount(p.connections)} connections x ${p.messages} messages x 256 B, each sent to ` +
    `one connection at a time, median of ${p.bursts} bursts after ${p.warmupBursts} warm-up`,
  async run(context) {
    const p = context.params.throughput;
    const { server, clients } = await serverWithStreams(context, p.connections);
    return measureBursts(clients, p, (count) => server.sendToEach(count));
  },
};
