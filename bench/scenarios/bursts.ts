import { BURST_SIZES, SWEEP_ROUND_FACTOR, type BurstSize } from '../config.js';
import {
  WIRE_BYTES,
  deliveriesMetric,
  measureBursts,
  roundLength,
  serverWithStreams,
} from './measure.js';
import { formatCount, type Scenario } from './scenario.js';

/** The key of the deliveries/s figure at `size` publishes per tick. */
export const burstMetricKey = (size: BurstSize): string => `deliveriesPerSecond${size}`;

/**
 * The burst-size sweep: one server, `connections` streams, and rounds of events published 1, 10
 * and 100 per tick (`servers/main.ts` says what a tick's burst is). The three sizes are three ways
 * an application publishes: one event per incoming message, a handful from one callback, a batch.
 * A server that writes each event to each socket on its own pays one system call per delivery at
 * every size; one that coalesces a tick's frames per socket pays one per burst.
 */
export const burstSweepScenario: Scenario = {
  id: 'bursts',
  title: 'burst-size sweep',
  isolatesServer: true,
  metrics: [
    ...BURST_SIZES.map((size) =>
      deliveriesMetric(
        burstMetricKey(size),
        `${size}/tick deliveries/s`,
        (params) => params.sweep.connections,
      ),
    ),
    { ...WIRE_BYTES, label: 'wire bytes/event (1/tick)' },
  ],
  describe: ({ sweep: p }) =>
    `${formatCount(p.connections)} streams, events of 256 B published ` +
    BURST_SIZES.map(
      (size) =>
        `${size} per tick (rounds of ` +
        `${roundLength({ ...p, messages: p.messages * SWEEP_ROUND_FACTOR[size] })})`,
    ).join(', ') +
    `; at each size the median of ${p.rounds} rounds after ${p.warmupRounds} warm-up`,
  async run(context) {
    const p = context.params.sweep;
    const { server, clients, gate } = await serverWithStreams(context, p.connections);
    const metrics: Record<string, number> = {};
    const details: Record<string, unknown> = {};
    let eventsBefore = 0;
    for (const size of BURST_SIZES) {
      const measured = await measureBursts(
        { ...p, messages: p.messages * SWEEP_ROUND_FACTOR[size], perTick: size },
        (count, perTick) => server.publish(count, perTick),
        { clients, cpu: context.deployment.cpu, phase: `${size}/tick`, eventsBefore, gate },
      );
      metrics[burstMetricKey(size)] = measured.metrics.deliveriesPerSecond ?? Number.NaN;
      // At one event per tick every server writes each frame on its own: the format's own cost.
      if (size === 1) metrics[WIRE_BYTES.key] = measured.metrics[WIRE_BYTES.key] ?? Number.NaN;
      details[`${size}/tick`] = { ...measured.details, ...measured.metrics };
      eventsBefore = measured.eventsAfter;
    }
    return { metrics, details };
  },
};
