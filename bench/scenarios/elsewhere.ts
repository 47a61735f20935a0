import { processCpuMs } from '../orchestrator/cpu-meter.js';
import { median } from '../shared/stats.js';
import { formatCount, formatMs, formatPercent, type Scenario } from './scenario.js';

const NO_INSTANCES = 'has no instances: nothing reaches an instance it does not serve';

/**
 * What an instance pays for events of channels it has no stream on. Two instances share a
 * redis-server of the run's own, with `streams` streams on instance B. Instance A publishes
 * `events` events to their channel, then as many to a channel no stream is on, and B's CPU time
 * is read from /proc around each burst, up to the moment B's streams have a marker event
 * published after it: B takes its Redis messages in order, so by then it has handled the burst.
 * The share is what B spent on the events it does not serve over what it spent delivering as
 * many; the marker's cost is in both.
 */
export const elsewhereScenario: Scenario = {
  id: 'redis-elsewhere',
  title: 'Redis, events for other instances',
  metrics: [
    {
      key: 'cpuPerKDelivered',
      label: 'B CPU / 1k delivered',
      better: 'lower',
      format: formatMs,
    },
    {
      key: 'cpuPerKElsewhere',
      label: 'B CPU / 1k elsewhere',
      better: 'lower',
      format: formatMs,
      vsRaw: false,
    },
    {
      key: 'elsewhereShare',
      label: 'elsewhere / delivered',
      better: 'lower',
      format: formatPercent,
      vsRaw: false,
    },
  ],
  unsupported: {
    'nest-sse': `NestJS @Sse() ${NO_INSTANCES}`,
    'nest-sse-fastify': `NestJS @Sse() ${NO_INSTANCES}`,
    'nest-route':
      "the NestJS route reference is measured in one process: its Redis relay would be raw node:http's",
    'better-sse': `better-sse ${NO_INSTANCES}`,
  },
  describe: ({ elsewhere: p }) =>
    `${formatCount(p.streams)} streams on B; A publishes ${formatCount(p.events)} events x 256 B ` +
    `to their channel, then as many to a channel none is on, ${p.perTick} per tick; B's CPU ` +
    `per 1,000 events, median of ${p.rounds} rounds after ${p.warmupRounds} warm-up`,
  async run({ deployment, params, spec }) {
    const p = params.elsewhere;
    const redis = await deployment.startRedis();
    const instance = { ...spec, redisUrl: redis.url };
    const [a, b] = await Promise.all([
      deployment.startServer(instance, 'instance A'),
      deployment.startServer(instance, 'instance B'),
    ]);
    const clients = await deployment.startClients(1);
    await clients.open(b, p.streams, params.openConcurrency);
    await b.waitForSubscribers(p.streams);
    let target = 0;
    /** B's CPU time over `burst`, which brings its streams `delivered` events, and the marker. */
    const cpuOfB = async (phase: string, burst: () => Promise<unknown>, delivered: number) => {
      target += delivered + 1;
      const before = processCpuMs(b.pid);
      await deployment.cpu.measure(phase, () =>
        Promise.all([clients.collect(target), burst().then(() => a.publish(1, 1))]),
      );
      return processCpuMs(b.pid) - before;
    };
    const delivered: number[] = [];
    const elsewhere: number[] = [];
    for (let round = 0; round < p.warmupRounds + p.rounds; round++) {
      const own = await cpuOfB('delivered', () => a.publish(p.events, p.perTick), p.events);
      const other = await cpuOfB('elsewhere', () => a.publishElsewhere(p.events, p.perTick), 0);
      if (round < p.warmupRounds) continue;
      delivered.push((own * 1000) / p.events);
      elsewhere.push((other * 1000) / p.events);
    }
    const perKDelivered = median(delivered);
    const perKElsewhere = median(elsewhere);
    return {
      metrics: {
        cpuPerKDelivered: perKDelivered,
        cpuPerKElsewhere: perKElsewhere,
        elsewhereShare: perKElsewhere / perKDelivered,
      },
      details: { deliveredMsPerK: delivered, elsewhereMsPerK: elsewhere },
    };
  },
};
