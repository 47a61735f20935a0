import {
  BURST_METRICS,
  DELIVERIES,
  ROUND_METRICS,
  burstFrames,
  measureBursts,
  measureRounds,
} from './measure.js';
import { formatCount, formatRatio, type Scenario } from './scenario.js';

const NO_INSTANCES =
  'no multi-instance support of its own; a hand-rolled Redis relay would be the raw ' +
  'node:http one, plus the per-connection encoding the fan-out rows already measure';

/**
 * Two instances sharing a redis-server of the run's own: the clients' streams are on instance
 * B, every event is published on instance A. The bursts are those of the fan-out throughput
 * scenario, so the two figures compare; then latency rounds on the same streams.
 */
export const twoInstanceScenario: Scenario = {
  id: 'redis',
  title: 'Redis, two instances',
  metrics: [
    ...BURST_METRICS,
    {
      key: 'vsSingleInstance',
      label: 'vs one instance',
      better: 'higher',
      format: formatRatio,
      ratio: {
        of: DELIVERIES.key,
        to: { scenario: 'throughput', metric: DELIVERIES.key },
      },
    },
    ...ROUND_METRICS,
  ],
  unsupported: {
    'nest-sse': `NestJS @Sse() has ${NO_INSTANCES}`,
    'nest-sse-fastify': `NestJS @Sse() has ${NO_INSTANCES}`,
    'better-sse': `better-sse has ${NO_INSTANCES}`,
  },
  describe: ({ throughput: p, redis: r }) =>
    `publish on A, ${formatCount(p.connections)} connections on B: ${p.messages} messages x ` +
    `256 B, median of ${p.bursts} bursts after ${p.warmupBursts} warm-up; then 1 message x ` +
    `${r.rounds} rounds after ${r.warmupRounds} warm-up`,
  async run({ deployment, spec, params }) {
    const p = params.throughput;
    const redis = await deployment.startRedis();
    const instance = { ...spec, redisUrl: redis.url };
    const [a, b] = await Promise.all([
      deployment.startServer(instance, `${spec.kind} instance A`),
      deployment.startServer(instance, `${spec.kind} instance B`),
    ]);
    const clients = await deployment.startClients(params.clientProcesses);
    await clients.open(b, p.connections, params.openConcurrency);
    await b.waitForSubscribers(p.connections);
    const publishOnA = (count: number) => a.publish(count);
    const bursts = await measureBursts(clients, p, publishOnA);
    const rounds = await measureRounds(
      clients,
      params.redis,
      p.connections,
      publishOnA,
      burstFrames(p),
    );
    return {
      metrics: { ...bursts.metrics, ...rounds.metrics },
      details: { ...bursts.details, ...rounds.details },
    };
  },
};
