import { processCpuMs } from '../orchestrator/cpu-meter.js';
import type { ClientGroup, ServerHandle } from '../orchestrator/deployment.js';
import type { Divert, Rooms } from '../shared/protocol.js';
import { median } from '../shared/stats.js';
import {
  formatCount,
  formatMs,
  formatPercent,
  formatRatio,
  onlyTheLibrary,
  type Scenario,
} from './scenario.js';

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
 * streams in a client process of its own; a further instance, with no stream, publishes
 * `perRoom` events to every room per phase, and CPU is read from /proc until the streams
 * concerned have their events: with every room busy, each instance's; with only one instance's
 * rooms busy (the other rooms' events sent to as many rooms no one serves: the same publishes
 * at the same pace), that instance's; and with all rooms busy but that instance's (its rooms'
 * events sent elsewhere), that instance's again: what the other rooms' traffic costs it, as a
 * share of what delivering its own costs per event. On two cores the first two differ by how
 * much each read batches (busier machine, bigger batches), not by the other rooms' traffic,
 * which the third shows alone.
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
    {
      key: 'othersShare',
      label: "CPU / 1k of others' rooms vs own",
      better: 'lower',
      format: formatPercent,
      vsRaw: false,
    },
  ],
  unsupported: onlyTheLibrary(LIBRARY_ONLY),
  describe: ({ rooms: p }) =>
    `${p.instances} instances on one Redis, ${formatCount(p.rooms)} rooms dealt out among them, ` +
    `one stream each; a publisher instance sends ${p.perRoom} events x 256 B per room, ` +
    `${p.perTick} per tick, to every room, or to one instance's rooms and as many rooms no one ` +
    `serves; median over instances and ${p.rounds} rounds after ${p.warmupRounds} warm-up`,
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
    /**
     * CPU ms of each of `measured` while `publish` runs and until the streams of `receiving`
     * have their events.
     */
    const cpuDuring = async (
      phase: string,
      measured: readonly RoomServer[],
      receiving: readonly RoomServer[],
      publish: () => Promise<unknown>,
    ) => {
      const before = measured.map(({ server }) => processCpuMs(server.pid));
      for (const room of receiving) room.received += p.perRoom;
      await deployment.cpu.measure(phase, () =>
        Promise.all([publish(), ...receiving.map((room) => room.clients.collect(room.received))]),
      );
      return measured.map(({ server }, i) => processCpuMs(server.pid) - (before[i] as number));
    };
    const everyRoom = { first: 0, step: 1, count: p.rooms };
    /** Every room gets its events, but those `divert` sends to rooms no one serves. */
    const publishAll = (divert?: Divert) => () =>
      publisher.publishRooms(everyRoom, p.perRoom, p.perTick, divert);
    const divert = (rooms: Divert['rooms'], instance: number): Divert => ({
      rooms,
      instance,
      instances: p.instances,
      offset: p.rooms,
    });
    /** CPU ms per 1,000 events published to `rooms` rooms. */
    const perK = (cpuMs: number, rooms: number) => (cpuMs * 1000) / (p.perRoom * rooms);
    const own: number[] = [];
    const all: number[] = [];
    const allVsOwn: number[] = [];
    const othersShare: number[] = [];
    for (let round = 0; round < p.warmupRounds + p.rounds; round++) {
      const alone: number[] = [];
      const others: number[] = [];
      for (const [k, room] of servers.entries()) {
        const [ownCpu = NaN] = await cpuDuring(
          'own rooms',
          [room],
          [room],
          publishAll(divert('others', k)),
        );
        alone.push(perK(ownCpu, room.rooms.count));
        const rest = servers.filter((other) => other !== room);
        const [otherCpu = NaN] = await cpuDuring(
          "others' rooms",
          [room],
          rest,
          publishAll(divert('own', k)),
        );
        others.push(perK(otherCpu, p.rooms - room.rooms.count));
      }
      const together = (await cpuDuring('all rooms', servers, servers, publishAll())).map(
        (cpu, k) => perK(cpu, (servers[k] as RoomServer).rooms.count),
      );
      if (round < p.warmupRounds) continue;
      own.push(...alone);
      all.push(...together);
      allVsOwn.push(...together.map((cpu, k) => cpu / (alone[k] as number)));
      othersShare.push(...others.map((cpu, k) => cpu / (alone[k] as number)));
    }
    return {
      metrics: {
        cpuPerKOwn: median(own),
        cpuPerKAll: median(all),
        allVsOwn: median(allVsOwn),
        othersShare: median(othersShare),
      },
      details: { ownMsPerK: own, allMsPerK: all, allVsOwn, othersShare },
    };
  },
};
