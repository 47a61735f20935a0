import { fileURLToPath } from 'node:url';
import { BENCH_PATH } from '../config.js';
import type {
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
import { processCpuMs } from './cpu-meter.js';
import { RedisServer } from './redis-server.js';
import { Worker, type ClockOffset } from './worker.js';

const SERVER_MODULE = fileURLToPath(new URL('../servers/main.js', import.meta.url));
const CLIENT_MODULE = fileURLToPath(new URL('../client/main.js', import.meta.url));
const CLOCK_SAMPLES = 15;
const POLL_MS = 20;

interface Stoppable {
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
}

export interface LabelledClockOffset extends ClockOffset {
  readonly label: string;
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
  private readonly workers: { readonly role: Role; readonly worker: Stoppable }[] = [];

  constructor(private readonly options: DeploymentOptions) {}

  async startServer(spec: ServerSpec, label = `${spec.kind} server`): Promise<ServerHandle> {
    const { worker, ready } = await this.start<ServerOps, ServerSpec>(
      'server',
      label,
      SERVER_MODULE,
      spec,
      ['--expose-gc', ...this.options.serverExecArgv],
    );
    return new ServerHandle(worker, (ready as ServerReady).port, this.options.callTimeoutMs);
  }

  async startClients(count: number): Promise<ClientGroup> {
    const workers = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const { worker } = await this.start<ClientOps, undefined>(
          'client',
          `client ${i + 1}`,
          CLIENT_MODULE,
          undefined,
          [],
        );
        return worker;
      }),
    );
    return new ClientGroup(workers, this.options.callTimeoutMs);
  }

  /** A redis-server of this run's own; its CPU time counts as the benchmark's. */
  async startRedis(): Promise<RedisServer> {
    const redis = await RedisServer.start('redis-server', this.options.callTimeoutMs);
    this.track('service', redis);
    return redis;
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

  private async start<Ops extends OpsShape<Ops>, TSpec>(
    role: Role,
    label: string,
    modulePath: string,
    spec: TSpec,
    execArgv: readonly string[],
  ): Promise<{ worker: Worker<Ops>; ready: unknown }> {
    const started = await Worker.start<Ops, TSpec>({
      label,
      modulePath,
      init: { lifetimeMs: this.options.lifetimeMs, spec },
      execArgv,
      readyTimeoutMs: this.options.callTimeoutMs,
    });
    this.track(role, started.worker);
    const offset = await started.worker.measureClockOffset(CLOCK_SAMPLES);
    this.clockOffsets.push({ label, ...offset });
    return started;
  }

  private track(role: Role, worker: Stoppable): void {
    this.workers.push({ role, worker });
    this.options.tracker.add(worker);
  }
}

export class ServerHandle {
  constructor(
    private readonly worker: Worker<ServerOps>,
    readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  readonly path = BENCH_PATH;

  publish(count: number): Promise<PublishTimes> {
    return this.worker.call('publish', { count }, this.timeoutMs);
  }

  sendToEach(count: number): Promise<PublishTimes> {
    return this.worker.call('sendToEach', { count }, this.timeoutMs);
  }

  subscribers(): Promise<number> {
    return this.worker.call('subscribers', null, this.timeoutMs);
  }

  memory(): Promise<MemorySample> {
    return this.worker.call('memory', null, this.timeoutMs);
  }

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
        throw new Error(`${this.worker.label} counts ${current} subscribers, expected ${count}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
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
    server: ServerHandle,
    total: number,
    concurrency: number,
    lastEventId?: string,
  ): Promise<OpenResult> {
    const results = await Promise.all(
      this.workers.map((worker, i) =>
        worker.call(
          'open',
          {
            port: server.port,
            path: server.path,
            count: share(total, this.workers.length, i),
            concurrency,
            lastEventId,
          },
          this.timeoutMs,
        ),
      ),
    );
    return {
      startedAt: Math.min(...results.map((r) => r.startedAt)),
      headersAt: Math.max(...results.map((r) => r.headersAt)),
    };
  }

  /** See `ClientOps.collect`; the times of all processes, concatenated. */
  async collect(target: number): Promise<CollectResult> {
    const results = await Promise.all(
      this.workers.map((worker) => worker.call('collect', { target }, this.timeoutMs)),
    );
    const times = new Float64Array(results.reduce((n, r) => n + r.times.length, 0));
    let offset = 0;
    for (const result of results) {
      times.set(result.times, offset);
      offset += result.times.length;
    }
    return { times, bodyBytes: results.reduce((n, r) => n + r.bodyBytes, 0) };
  }

  async close(): Promise<number> {
    const counts = await Promise.all(
      this.workers.map((worker) => worker.call('close', null, this.timeoutMs)),
    );
    return counts.reduce((a, b) => a + b, 0);
  }
}

/** The `index`-th of `parts` near-equal shares of `total`. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}
