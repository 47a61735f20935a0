import { burstMetricKey } from './bursts.js';
import {
  REMOTE_ROUND_METRICS,
  WIRE_BYTES,
  deliveriesMetric,
  measureBursts,
  measureRounds,
  roundLength,
} from './measure.js';
import { formatCount, formatRatio, type Scenario } from './scenario.js';

const NO_INSTANCES =
  'no multi-instance support of its own; a hand-rolled Redis relay would be the raw ' +
  'node:http one, plus the per-connection encoding the fan-out rows already measure';

/** Publishes per tick on instance A: the sweep's middle size, which the ratio is taken to. */
const PER_TICK = 10;

/**
 * Two instances sharing a redis-server of the run's own: the clients' streams are on instance
 * B, every event is published on instance A. The rounds are those of the burst-size sweep at 10
 * per tick, so the two figures compare; then latency rounds on the same streams.
 */
export const twoInstanceScenario: Scenario = {
  id: 'redis',
  title: 'Redis, two instances',
  metrics: [
    deliveriesMetric('deliveriesPerSecond', 'deliveries/s', (params) => params.sweep.connections),
    WIRE_BYTES,
    {
      key: 'vsSingleInstance',
      label: 'vs one instance',
      better: 'higher',
      format: formatRatio,
      derived: {
        inputs: [
          { scenario: 'redis', metric: 'deliveriesPerSecond' },
          { scenario: 'bursts', metric: burstMetricKey(PER_TICK) },
        ],
        compute: ([redis = NaN, single = NaN]) => redis / single,
      },
      vsRaw: false,
    },
    ...REMOTE_ROUND_METRICS,
  ],
  unsupported: {
    'nest-sse': `NestJS @Sse() has ${NO_INSTANCES}`,
    'nest-sse-fastify': `NestJS @Sse() has ${NO_INSTANCES}`,
    'nest-route':
      "the NestJS route reference is measured in one process: its Redis relay would be raw node:http's",
    'better-sse': `better-sse has ${NO_INSTANCES}`,
  },
  describe: ({ sweep: p, redis: r }) =>
    `publish on A, ${formatCount(p.connections)} streams on B: rounds of ${roundLength(p)} ` +
    `(events of 256 B), ${PER_TICK} per tick, median of ${p.rounds} after ${p.warmupRounds} ` +
    `warm-up; then 1 event x ${r.rounds} rounds after ${r.warmupRounds} warm-up`,
  async run({ deployment, spec, params, speed }) {
    const p = { ...params.sweep, perTick: PER_TICK };
    const redis = await deployment.startRedis();
    const instance = { ...spec, redisUrl: redis.url };
    const [a, b] = await Promise.all([
      deployment.startServer(instance, 'instance A'),
      deployment.startServer(instance, 'instance B'),
    ]);
    const clients = await deployment.startClients(params.clientProcesses);
    await clients.open(b, p.connections, params.openConcurrency);
    await b.waitForSubscribers(p.connections);
    const publishOnA = (count: number, perTick: number) => a.publish(count, perTick);
    const cpu = deployment.cpu;
    // B writes every delivery: its CPU is the one a slowed spell would show in the figures.
    const gate = speed.on(() => b.probe());
    const bursts = await measureBursts(p, publishOnA, {
      clients,
      cpu,
      phase: `${PER_TICK}/tick`,
      eventsBefore: 0,
      gate,
    });
    const rounds = await measureRounds(params.redis, p.connections, publishOnA, {
      clients,
      cpu,
      phase: 'latency',
      eventsBefore: bursts.eventsAfter,
      gate,
    });
    return {
      metrics: { ...bursts.metrics, ...rounds.metrics },
      details: { ...bursts.details, ...rounds.details },
    };
  },
};
