import { fileURLToPath } from 'node:url';
import { BENCH_PATH, SPREAD_CHANNEL } from '../config.js';
import type {
  Rooms,
  RoomsBurstArgs,
  CapacityOps,
  ClientOps,
  OpsShape,
  CollectResult,
  MemorySample,
  OpenResult,
  PublishTimes,
  ServerOps,
  ServerReady,
  ServerSpec,
} from '../shared/protocol.js';
import { CpuPhases, processCpuMs } from './cpu-meter.js';
import type { CpuPlacement } from './cpu-placement.js';
import { RedisCluster } from './redis-cluster.js';
import { RedisServer } from './redis-server.js';
import { Worker, type ClockOffset } from './worker.js';

const SERVER_MODULE = fileURLToPath(new URL('../servers/main.js', import.meta.url));
const CAPACITY_MODULE = fileURLToPath(new URL('../servers/client-capacity.js', import.meta.url));
const CLIENT_MODULE = fileURLToPath(new URL('../client/main.js', import.meta.url));
const CLOCK_SAMPLES = 15;
const POLL_MS = 20;

interface Stoppable {
  /** For error messages: "library server", "client 2". */
  readonly label: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
  kill(): void;
}

/** Every child process of the run, so none outlives the orchestrator, whatever happens. */
export class ProcessTracker {
  private readonly live = new Set<Stoppable>();

  add(worker: Stoppable): void {
    this.live.add(worker);
  }

  remove(worker: Stoppable): void {
    this.live.delete(worker);
  }

  killAll(): void {
    for (const worker of this.live) worker.kill();
    this.live.clear();
  }
}

export interface DeploymentOptions {
  readonly tracker: ProcessTracker;
  /** Each child exits by itself after this long. */
  readonly lifetimeMs: number;
  /** Bound on every single call to a child. */
  readonly callTimeoutMs: number;
  /** Extra Node flags for server processes (e.g. `--cpu-prof`). */
  readonly serverExecArgv: readonly string[];
  /** Where servers and clients run; unset, the scheduler places them. */
  readonly placement?: CpuPlacement;
}

export interface LabelledClockOffset extends ClockOffset {
  readonly label: string;
}

interface ChildStart<TSpec> {
  readonly role: Role;
  /** As the CPU report names it: "server", "instance A", "client 2". */
  readonly name: string;
  /** As errors name it: "library server", "client 2". */
  readonly label: string;
  readonly modulePath: string;
  readonly spec: TSpec;
  readonly execArgv?: readonly string[];
}

/** In the order `teardown()` stops them: services such as Redis outlive their users. */
const ROLES = ['server', 'client', 'service'] as const;
type Role = (typeof ROLES)[number];

/**
 * The processes of one scenario run: its server(s), client processes and services (Redis),
 * started on demand and all stopped by `teardown()`. A scenario that needs several server
 * instances starts each with its own spec; clients connect to whichever ports they are given.
 */
export class Deployment {
  readonly clockOffsets: LabelledClockOffset[] = [];
  /** CPU use of every process, over the windows in which scenarios measure. */
  readonly cpu: CpuPhases;
  private readonly workers: {
    readonly role: Role;
    /** As the CPU report names the process: "server", "instance A", "client 2", "redis". */
    readonly name: string;
    readonly worker: Stoppable;
  }[] = [];

  constructor(private readonly options: DeploymentOptions) {
    this.cpu = new CpuPhases(() =>
      [...this.workers]
        .sort(
          (a, b) =>
            ROLES.indexOf(a.role) - ROLES.indexOf(b.role) ||
            a.name.localeCompare(b.name, 'en', { numeric: true }),
        )
        .map(({ name, worker }) => ({ name, pid: worker.pid })),
    );
  }

  /** `name` tells instances of one deployment apart in the CPU report. */
  async startServer(spec: ServerSpec, name = 'server'): Promise<ServerHandle> {
    const { worker, ready } = await this.start<ServerOps, ServerSpec>({
      role: 'server',
      name,
      label: `${spec.kind} ${name}`,
      modulePath: SERVER_MODULE,
      spec,
      execArgv: ['--expose-gc', ...this.options.serverExecArgv],
    });
    return new ServerHandle(worker, (ready as ServerReady).port, this.options.callTimeoutMs);
  }

  /** The client-capacity reference (`servers/client-capacity.ts`). */
  async startCapacityServer(): Promise<CapacityHandle> {
    const { worker, ready } = await this.start<CapacityOps, undefined>({
      role: 'server',
      name: 'server',
      label: 'client-capacity server',
      modulePath: CAPACITY_MODULE,
      spec: undefined,
    });
    return new CapacityHandle(worker, (ready as ServerReady).port, this.options.callTimeoutMs);
  }

  async startClients(count: number): Promise<ClientGroup> {
    const workers = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const name = `client ${i + 1}`;
        const { worker } = await this.start<ClientOps, undefined>({
          role: 'client',
          name,
          label: name,
          modulePath: CLIENT_MODULE,
          spec: undefined,
        });
        return worker;
      }),
    );
    return new ClientGroup(workers, this.options.callTimeoutMs);
  }

  /** A redis-server of this run's own; its CPU time counts as the benchmark's. */
  async startRedis(): Promise<RedisServer> {
    const redis = await RedisServer.start('redis-server', this.options.callTimeoutMs);
    this.track('service', 'redis', redis);
    return redis;
  }

  /** A Redis Cluster of this run's own (3 masters); its nodes' CPU time counts as the benchmark's. */
  async startRedisCluster(): Promise<RedisCluster> {
    const cluster = await RedisCluster.start(this.options.callTimeoutMs);
    for (const node of cluster.nodes) this.track('service', node.label, node);
    return cluster;
  }

  /** CPU time the deployment's live processes have used so far. */
  cpuTimeMs(): number {
    return this.workers.reduce((sum, { worker }) => sum + processCpuMs(worker.pid), 0);
  }

  /**
   * Stops every process, each bounded: servers first, because the side that closes a TCP
   * connection first keeps it in TIME_WAIT, and on the server's side that ties up no ephemeral
   * port the next scenario's clients might need; services last, so no server sees them go.
   */
  async teardown(): Promise<void> {
    const workers = this.workers.splice(0);
    for (const role of ROLES) {
      await Promise.all(
        workers
          .filter((w) => w.role === role)
          .map(async ({ worker }) => {
            await worker.stop();
            this.options.tracker.remove(worker);
          }),
      );
    }
  }

  private async start<Ops extends OpsShape<Ops>, TSpec>({
    role,
    name,
    label,
    modulePath,
    spec,
    execArgv = [],
  }: ChildStart<TSpec>): Promise<{ worker: Worker<Ops>; ready: unknown }> {
    const { placement } = this.options;
    const started = await Worker.start<Ops, TSpec>({
      label,
      modulePath,
      init: { lifetimeMs: this.options.lifetimeMs, spec },
      execArgv,
      readyTimeoutMs: this.options.callTimeoutMs,
      cpus: placement && (role === 'server' ? placement.server : placement.others),
    });
    this.track(role, name, started.worker);
    const offset = await started.worker.measureClockOffset(CLOCK_SAMPLES);
    this.clockOffsets.push({ label, ...offset });
    return started;
  }

  private track(role: Role, name: string, worker: Stoppable): void {
    this.workers.push({ role, name, worker });
    this.options.tracker.add(worker);
  }
}

/** What clients open streams to: a listening server process. */
export abstract class ListeningServer {
  readonly path = BENCH_PATH;

  constructor(
    readonly label: string,
    readonly port: number,
    protected readonly timeoutMs: number,
  ) {}

  /** Connections currently subscribed, as the server itself counts them. */
  abstract subscribers(): Promise<number>;

  /**
   * Waits until the server itself counts `count` subscribers: a client seeing its headers does
   * not prove the server has finished subscribing it (or, after a close, unsubscribing it).
   */
  async waitForSubscribers(count: number, timeoutMs = this.timeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await this.subscribers();
      if (current === count) return;
      if (Date.now() > deadline)
        throw new Error(`${this.label} counts ${current} subscribers, expected ${count}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

export class ServerHandle extends ListeningServer {
  constructor(
    private readonly worker: Worker<ServerOps>,
    port: number,
    timeoutMs: number,
  ) {
    super(worker.label, port, timeoutMs);
  }

  /** The process, whose CPU time a scenario may read (`processCpuMs`). */
  get pid(): number | undefined {
    return this.worker.pid;
  }

  /** `count` events, `perTick` publish calls per tick (see `BurstArgs`). */
  async publish(count: number, perTick: number): Promise<PublishTimes> {
    return this.localTimes(await this.worker.call('publish', { count, perTick }, this.timeoutMs));
  }

  /** The same to a channel no stream is on (`ELSEWHERE_CHANNEL`). */
  async publishElsewhere(count: number, perTick: number): Promise<PublishTimes> {
    const args = { count, perTick };
    return this.localTimes(await this.worker.call('publishElsewhere', args, this.timeoutMs));
  }

  /** `perRoom` events to each of `rooms` (see `RoomsBurstArgs`). */
  async publishRooms(
    rooms: Rooms,
    perRoom: number,
    perTick: number,
    divert?: RoomsBurstArgs['divert'],
  ): Promise<PublishTimes> {
    const args = { rooms, perRoom, perTick, divert };
    return this.localTimes(await this.worker.call('publishRooms', args, this.timeoutMs));
  }

  async sendToEach(count: number, perTick: number): Promise<PublishTimes> {
    const times = await this.worker.call('sendToEach', { count, perTick }, this.timeoutMs);
    return this.localTimes(times);
  }

  subscribers(): Promise<number> {
    return this.worker.call('subscribers', null, this.timeoutMs);
  }

  memory(): Promise<MemorySample> {
    return this.worker.call('memory', null, this.timeoutMs);
  }

  /** See `ServerOps.probe`. */
  probe(): Promise<number> {
    return this.worker.call('probe', null, this.timeoutMs);
  }

  private localTimes(times: PublishTimes): PublishTimes {
    const local = (at: number): number => this.worker.toLocalTime(at);
    return {
      ...times,
      firstAt: local(times.firstAt),
      lastAt: local(times.lastAt),
      settledAt: local(times.settledAt),
    };
  }
}

export class CapacityHandle extends ListeningServer {
  constructor(
    private readonly worker: Worker<CapacityOps>,
    port: number,
    timeoutMs: number,
  ) {
    super(worker.label, port, timeoutMs);
  }

  async flood(count: number): Promise<{ startedAt: number }> {
    const { startedAt } = await this.worker.call('flood', { count }, this.timeoutMs);
    return { startedAt: this.worker.toLocalTime(startedAt) };
  }

  subscribers(): Promise<number> {
    return this.worker.call('subscribers', null, this.timeoutMs);
  }
}

/** The client processes of a scenario, used as one: connections are spread evenly. */
export class ClientGroup {
  constructor(
    private readonly workers: readonly Worker<ClientOps>[],
    private readonly timeoutMs: number,
  ) {}

  /**
   * Opens `total` streams to `server`, resuming after `lastEventId` if given; start is the
   * earliest attempt, end the last headers.
   */
  async open(
    server: ListeningServer,
    total: number,
    concurrency: number,
    lastEventId?: string,
  ): Promise<OpenResult> {
    return this.openStreams(server, { total, concurrency, lastEventId });
  }

  /** Opens one stream per room of `rooms` (`/spread/<room>`), spread over the processes. */
  async openRooms(server: ListeningServer, rooms: Rooms, concurrency: number): Promise<OpenResult> {
    return this.openStreams(server, { total: rooms.count, concurrency, rooms });
  }

  private async openStreams(
    server: ListeningServer,
    { total, concurrency, lastEventId, rooms }: OpenPlan,
  ): Promise<OpenResult> {
    const counts = this.workers.map((_, i) => share(total, this.workers.length, i));
    const results = await Promise.all(
      this.workers.map(async (worker, i) => {
        const count = counts[i] as number;
        // This process's rooms follow those of the processes before it.
        const before = counts.slice(0, i).reduce((sum, n) => sum + n, 0);
        const mine = rooms && { first: rooms.first + rooms.step * before, step: rooms.step, count };
        const path = rooms ? `/${SPREAD_CHANNEL}` : server.path;
        const args = { port: server.port, path, count, concurrency, lastEventId, rooms: mine };
        const opened = await worker.call('open', args, this.timeoutMs);
        return {
          startedAt: worker.toLocalTime(opened.startedAt),
          // A process given no streams has no headers time.
          headersAt: count === 0 ? Number.NEGATIVE_INFINITY : worker.toLocalTime(opened.headersAt),
        };
      }),
    );
    return {
      startedAt: Math.min(...results.map((r) => r.startedAt)),
      headersAt: Math.max(...results.map((r) => r.headersAt)),
    };
  }

  /** See `ClientOps.collect`; the times of all processes, concatenated, on this one's clock. */
  async collect(target: number): Promise<CollectResult> {
    const results = await Promise.all(
      this.workers.map((worker) => worker.call('collect', { target }, this.timeoutMs)),
    );
    const times = new Float64Array(results.reduce((n, r) => n + r.times.length, 0));
    let filled = 0;
    results.forEach((result, i) => {
      const worker = this.workers[i];
      for (const at of result.times) times[filled++] = worker ? worker.toLocalTime(at) : at;
    });
    return { times, bodyBytes: results.reduce((n, r) => n + r.bodyBytes, 0) };
  }

  async close(): Promise<number> {
    const counts = await Promise.all(
      this.workers.map((worker) => worker.call('close', null, this.timeoutMs)),
    );
    return counts.reduce((a, b) => a + b, 0);
  }
}

/** What `ClientGroup` opens: `total` streams, on one path or one per room. */
interface OpenPlan {
  readonly total: number;
  readonly concurrency: number;
  readonly lastEventId?: string;
  readonly rooms?: Rooms;
}

/** The `index`-th of `parts` near-equal shares of `total`. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}
