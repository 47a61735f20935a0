import type { PublishCapacityParams } from '../config.js';
import { processCpuMs } from '../orchestrator/cpu-meter.js';
import type { Deployment, ServerHandle } from '../orchestrator/deployment.js';
import { CLUSTER_MASTERS } from '../orchestrator/redis-cluster.js';
import type { ServerSpec } from '../shared/protocol.js';
import { median } from '../shared/stats.js';
import {
  formatCount,
  formatPercent,
  formatRatio,
  onlyTheLibrary,
  type Scenario,
} from './scenario.js';

const LIBRARY_ONLY = 'runs on a Redis Cluster through this library only';

/** Events/s of one measured round, and how busy Redis and the publishers were meanwhile. */
interface RoundFigures {
  readonly perSecond: number;
  /** The busiest redis-server's CPU time over the round's wall time (1 = one core). */
  readonly redisBusy: number;
  /** The publishers' CPU time over the round's wall time, per publisher. */
  readonly publisherBusy: number;
}

/**
 * How many events/s instances of this library publish through one Redis, and through a Redis
 * Cluster of `CLUSTER_MASTERS` masters: `publishers` instances with no stream publish at once to
 * `rooms` rooms (their own halves), `perTick` publishes in flight each. Redis's and the
 * publishers' CPU over the round's wall time say which of them bounds the figure: a publish-bound
 * comparison needs Redis near one core on one Redis, and publishers with CPU to spare.
 */
export const publishCapacityScenario: Scenario = {
  id: 'redis-publish',
  title: 'Redis, publish capacity: one Redis vs a 3-master cluster',
  metrics: [
    {
      key: 'oneRedisPerSecond',
      label: 'publishes/s, one Redis',
      better: 'higher',
      format: formatCount,
      vsRaw: false,
    },
    {
      key: 'clusterPerSecond',
      label: 'publishes/s, cluster',
      better: 'higher',
      format: formatCount,
      vsRaw: false,
    },
    {
      key: 'clusterGain',
      label: 'cluster / one Redis',
      better: 'higher',
      format: formatRatio,
      vsRaw: false,
      // Only a Redis near a full core shows what more shards add.
      clientCheck: {
        kind: 'saturation',
        busyMetric: 'oneRedisBusy',
        min: 0.8,
        server: 'one Redis',
      },
    },
    {
      key: 'oneRedisBusy',
      label: 'one Redis: its CPU',
      better: 'lower',
      format: formatPercent,
      vsRaw: false,
    },
    {
      key: 'clusterRedisBusy',
      label: 'cluster: busiest master CPU',
      better: 'lower',
      format: formatPercent,
      vsRaw: false,
    },
    {
      key: 'publisherBusy',
      label: 'publisher CPU (one Redis)',
      better: 'lower',
      format: formatPercent,
      vsRaw: false,
    },
  ],
  unsupported: onlyTheLibrary(LIBRARY_ONLY),
  describe: ({ publishCapacity: p }) =>
    `${p.publishers} instances with no stream publish ${p.perRoom} events x 256 B to each of ` +
    `${formatCount(p.rooms)} rooms, ${p.perTick} in flight each, on one Redis and on ` +
    `${CLUSTER_MASTERS} masters; median of ${p.rounds} rounds after ${p.warmupRounds} warm-up`,
  async run({ deployment, params, spec }) {
    const redis = await deployment.startRedis();
    const one = await measure(
      deployment,
      params.publishCapacity,
      { ...spec, redisUrl: redis.url },
      [redis.pid],
    );
    const cluster = await deployment.startRedisCluster();
    const spread = await measure(
      deployment,
      params.publishCapacity,
      { ...spec, redisCluster: cluster.urls },
      cluster.nodes.map((node) => node.pid),
    );
    const perSecond = (rounds: readonly RoundFigures[]) => median(rounds.map((r) => r.perSecond));
    return {
      metrics: {
        oneRedisPerSecond: perSecond(one),
        clusterPerSecond: perSecond(spread),
        clusterGain: perSecond(spread) / perSecond(one),
        oneRedisBusy: median(one.map((r) => r.redisBusy)),
        clusterRedisBusy: median(spread.map((r) => r.redisBusy)),
        publisherBusy: median(one.map((r) => r.publisherBusy)),
      },
      details: { oneRedis: one, cluster: spread },
    };
  },
};

/** The measured rounds of `p` against the Redis (or cluster) of `instance`. */
async function measure(
  deployment: Deployment,
  p: PublishCapacityParams,
  instance: ServerSpec,
  redisPids: ReadonlyArray<number | undefined>,
): Promise<RoundFigures[]> {
  const where = instance.redisCluster ? 'cluster' : 'one Redis';
  const publishers: ServerHandle[] = await Promise.all(
    Array.from({ length: p.publishers }, (_, i) =>
      deployment.startServer(instance, `publisher ${i + 1} (${where})`),
    ),
  );
  const figures: RoundFigures[] = [];
  for (let round = 0; round < p.warmupRounds + p.rounds; round++) {
    const redisBefore = redisPids.map(processCpuMs);
    const publishersBefore = publishers.map((publisher) => processCpuMs(publisher.pid));
    const times = await deployment.cpu.measure(where, () =>
      Promise.all(
        publishers.map((publisher, i) =>
          publisher.publishRooms(
            { first: i, step: p.publishers, count: Math.ceil((p.rooms - i) / p.publishers) },
            p.perRoom,
            p.perTick,
          ),
        ),
      ),
    );
    if (round < p.warmupRounds) continue;
    const wallMs =
      Math.max(...times.map((t) => t.settledAt)) - Math.min(...times.map((t) => t.firstAt));
    const redisMs = redisPids.map((pid, i) => processCpuMs(pid) - (redisBefore[i] as number));
    const publisherMs = publishers.map(
      (publisher, i) => processCpuMs(publisher.pid) - (publishersBefore[i] as number),
    );
    figures.push({
      perSecond: (p.perRoom * p.rooms * 1000) / wallMs,
      redisBusy: Math.max(...redisMs) / wallMs,
      publisherBusy: publisherMs.reduce((a, b) => a + b, 0) / publishers.length / wallMs,
    });
  }
  return figures;
}
