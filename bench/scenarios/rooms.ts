import { processCpuMs } from '../orchestrator/cpu-meter.js';
import type { ClientGroup, ServerHandle } from '../orchestrator/deployment.js';
import type { Rooms } from '../shared/protocol.js';
import { median } from '../shared/stats.js';
import { formatCount, formatMs, formatRatio, onlyTheLibrary, type Scenario } from './scenario.js';

/** Only this library has instances that serve rooms of their own through a shared Redis. */
const LIBRARY_ONLY = 'publishes to rooms through instances of this library only';

/** One instance, the rooms it serves, and the client process holding their streams. */
interface RoomServer {
  readonly server: ServerHandle;
  readonly rooms: Rooms;
  readonly clients: ClientGroup;
  /** Events each of its streams has received so far. */
  received: number;
}

/**
 * What an instance pays per delivered event with and without traffic on the rooms it does not
 * serve. `instances` instances share a redis-server of the run's own; the rooms are dealt out
 * round-robin (instance k serves rooms k, k + n, ...), one stream per room, each instance's
 * streams in a client process of its own; a further instance, with no stream, publishes. Each
 * round, first each instance alone gets `perRoom` events per room of its own (its CPU read
 * from /proc until its streams have them all), then every room gets as many at once (every
 * instance's CPU read until all streams have them).
 */
export const roomsScenario: Scenario = {
  id: 'redis-rooms',
  title: 'Redis, 4 instances, 1,000 rooms',
  metrics: [
    {
      key: 'cpuPerKOwn',
      label: 'CPU / 1k delivered, own rooms busy',
      better: 'lower',
      format: formatMs,
      vsRaw: false,
    },
    {
      key: 'cpuPerKAll',
      label: 'CPU / 1k delivered, all rooms busy',
      better: 'lower',
      format: formatMs,
      vsRaw: false,
    },
    {
      key: 'allVsOwn',
      label: 'all busy / own busy',
      better: 'lower',
      format: formatRatio,
      vsRaw: false,
    },
  ],
  unsupported: onlyTheLibrary(LIBRARY_ONLY),
  describe: ({ rooms: p }) =>
    `${p.instances} instances on one Redis, ${formatCount(p.rooms)} rooms dealt out among them, ` +
    `one stream each; ${p.perRoom} events x 256 B per room, ${p.perTick} per tick, from a ` +
    `publisher instance; median of ${p.rounds} rounds after ${p.warmupRounds} warm-up`,
  async run({ deployment, params, spec }) {
    const p = params.rooms;
    const redis = await deployment.startRedis();
    const instance = { ...spec, redisUrl: redis.url };
    const publisher = await deployment.startServer(instance, 'publisher');
    const servers: RoomServer[] = await Promise.all(
      Array.from({ length: p.instances }, async (_, k) => {
        const rooms = {
          first: k,
          step: p.instances,
          count: Math.ceil((p.rooms - k) / p.instances),
        };
        const server = await deployment.startServer(instance, `instance ${k + 1}`);
        const clients = await deployment.startClients(1);
        await clients.openRooms(server, rooms, params.openConcurrency);
        await server.waitForSubscribers(rooms.count);
        return { server, rooms, clients, received: 0 };
      }),
    );
    /** CPU ms of each of `busy` while `publish` runs and until their streams have it all. */
    const cpuDuring = async (
      phase: string,
      busy: readonly RoomServer[],
      publish: () => Promise<unknown>,
    ) => {
      const before = busy.map(({ server }) => processCpuMs(server.pid));
      for (const room of busy) room.received += p.perRoom;
      await deployment.cpu.measure(phase, () =>
        Promise.all([publish(), ...busy.map((room) => room.clients.collect(room.received))]),
      );
      return busy.map(({ server }, i) => processCpuMs(server.pid) - (before[i] as number));
    };
    const perK = (cpuMs: number, room: RoomServer) =>
      (cpuMs * 1000) / (p.perRoom * room.rooms.count);
    const own: number[] = [];
    const all: number[] = [];
    const ratios: number[] = [];
    const everyRoom = { first: 0, step: 1, count: p.rooms };
    for (let round = 0; round < p.warmupRounds + p.rounds; round++) {
      const alone: number[] = [];
      for (const room of servers) {
        const [cpu = NaN] = await cpuDuring('own rooms', [room], () =>
          publisher.publishRooms(room.rooms, p.perRoom, p.perTick),
        );
        alone.push(perK(cpu, room));
      }
      const together = (
        await cpuDuring('all rooms', servers, () =>
          publisher.publishRooms(everyRoom, p.perRoom, p.perTick),
        )
      ).map((cpu, k) => perK(cpu, servers[k] as RoomServer));
      if (round < p.warmupRounds) continue;
      own.push(...alone);
      all.push(...together);
      ratios.push(...together.map((cpu, k) => cpu / (alone[k] as number)));
    }
    return {
      metrics: { cpuPerKOwn: median(own), cpuPerKAll: median(all), allVsOwn: median(ratios) },
      details: { ownMsPerK: own, allMsPerK: all, allVsOwn: ratios },
    };
  },
};
