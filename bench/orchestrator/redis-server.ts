import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { HOST } from '../config.js';

/** Debian installs redis-server in /usr/bin; some images only have /usr/sbin. */
const EXTRA_DIRS = ['/usr/sbin'];
/** Another process may take the free port between our probe and redis-server's bind. */
const PORT_ATTEMPTS = 3;
/**
 * A cluster node's ports: its own and its cluster bus port (+10000) both below the ephemeral
 * range (32768 and up), where any client socket may hold a port a probe found free.
 */
const CLUSTER_PORTS = { min: 12_000, max: 22_767, busOffset: 10_000 } as const;
/** A node of a cluster that keeps serving its slots while another shard is down. */
const CLUSTER_NODE_ARGS = [
  ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
  ...['--cluster-node-timeout', '5000', '--cluster-require-full-coverage', 'no'],
];
const STOP_GRACE_MS = 3_000;
/** What redis-server printed last, for the error when it exits before it is ready. */
const MAX_OUTPUT_CHARS = 4_000;

/**
 * A redis-server of the benchmark's own, on a free loopback port, without persistence, in a
 * temporary folder removed when it stops. The Deployment that starts it stops it, and counts its
 * CPU time as the benchmark's.
 */
export class RedisServer {
  private constructor(
    readonly label: string,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  /**
   * With `clusterNode`, a node of a Redis Cluster yet to be formed (see `RedisCluster`): its
   * port is drawn below the ephemeral range, since it also listens on that port + 10000.
   */
  static async start(
    label: string,
    readyTimeoutMs: number,
    clusterNode = false,
  ): Promise<RedisServer> {
    const binary = findRedisServer();
    for (let attempt = 1; ; attempt++) {
      const port = clusterNode ? await freeClusterPort() : await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'sse-bench-redis-'));
      const extra = clusterNode ? CLUSTER_NODE_ARGS : [];
      try {
        const child = await launch(binary, port, dir, readyTimeoutMs, extra);
        return new RedisServer(label, port, child, dir);
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        const portTaken =
          error instanceof Error && error.message.includes('Address already in use');
        if (!portTaken || attempt === PORT_ATTEMPTS) throw error;
      }
    }
  }

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Last resort when the orchestrator itself is exiting. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function findRedisServer(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  const found = dirs.map((dir) => join(dir, 'redis-server')).find((path) => existsSync(path));
  if (!found)
    throw new Error(
      `redis-server not found on PATH or in ${EXTRA_DIRS.join(', ')}: install it ` +
        '(bash scripts/install-test-deps.sh) or leave the redis scenario out (--scenarios)',
    );
  return found;
}

/** Resolves once redis-server accepts connections; rejects with its output if it exits first. */
function launch(
  binary: string,
  port: number,
  dir: string,
  timeoutMs: number,
  extra: readonly string[],
): Promise<ChildProcess> {
  const args = [
    ...['--bind', HOST, '--port', String(port), '--dir', dir],
    // No snapshot and no append-only file: disk writes would be load the figures do not show.
    ...['--save', '', '--appendonly', 'no'],
    ...extra,
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (message: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} ${message}:\n${output.trim()}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
    const onError = (error: Error): void => fail(`could not start (${error.message})`);
    const onExit = (code: number | null, signal: string | null): void =>
      fail(`exited (${signal ?? `code ${code}`})`);
    const onOutput = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
      if (!output.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      // The streams keep flowing with no listener: later output is dropped, and a full pipe
      // never blocks the server.
      child.stdout?.off('data', onOutput);
      child.stderr?.off('data', onOutput);
      child.off('error', onError);
      child.off('exit', onExit);
      // A signal that fails later must not crash the orchestrator; stop() escalates to SIGKILL.
      child.on('error', () => undefined);
      resolve(child);
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('error', onError);
    child.once('exit', onExit);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no free port')),
      );
    });
  });
}

/** A port whose cluster bus port is free too, both below the ephemeral range. */
async function freeClusterPort(): Promise<number> {
  const { min, max, busOffset } = CLUSTER_PORTS;
  for (let tries = 0; tries < 50; tries++) {
    const port = min + Math.floor(Math.random() * (max - min));
    if ((await isFree(port)) && (await isFree(port + busOffset))) return port;
  }
  throw new Error(`no free port pair (port, port + ${busOffset}) from ${min} to ${max}`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}
