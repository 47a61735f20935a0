import {
  WIRE_BYTES,
  deliveriesMetric,
  measureBursts,
  roundLength,
  serverWithStreams,
} from './measure.js';
import { formatCount, type Scenario } from './scenario.js';

/**
 * Targeted sends: rounds of events each sent to every stream on its own, through the API for one
 * connection (this library's `sendTo()`), `perTick` rounds of sends per tick, so finding the
 * connection and encoding once per send are in the figure.
 */
export const targetedScenario: Scenario = {
  id: 'targeted',
  title: 'targeted sends',
  isolatesServer: true,
  metrics: [
    deliveriesMetric(
      'deliveriesPerSecond',
      'deliveries/s',
      (params) => params.targeted.connections,
    ),
    WIRE_BYTES,
  ],
  describe: ({ targeted: p }) =>
    `${formatCount(p.connections)} streams, rounds of ${roundLength(p)}, events of 256 B each ` +
    `sent to one connection at a time, ${p.perTick} per tick; median of ${p.rounds} rounds after ` +
    `${p.warmupRounds} warm-up`,
  async run(context) {
    const p = context.params.targeted;
    const { server, clients, gate } = await serverWithStreams(context, p.connections);
    const { metrics, details } = await measureBursts(
      p,
      (count, perTick) => server.sendToEach(count, perTick),
      { clients, cpu: context.deployment.cpu, phase: `${p.perTick}/tick`, eventsBefore: 0, gate },
    );
    return { metrics, details };
  },
};
