import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { keySlot } from '../../lib/redis/key-slot.js';

const run = promisify(execFile);

/**
 * Node ports are drawn from here. Each node also listens on its port + 10000 for the cluster
 * bus, and both must stay below the ephemeral range (32768 and up on Linux): there, a client
 * socket of any process may take a stopped node's port before `startNode()` binds it again.
 */
const PORTS = { min: 12000, max: 22767 } as const;
const BUS_OFFSET = 10000;
/** Attempts per node to find ports nobody else took between our probe and its bind. */
const PORT_ATTEMPTS = 20;
const SLOTS = 16384;
/**
 * Bound on each wait for a cluster state (formed, rejoined, failed): generous for a loaded CI
 * machine, yet below Jest's 30 s test timeout, so the error that names the state comes first.
 */
const STATE_TIMEOUT_MS = 20_000;
/** Bound on the log tail kept per node for error messages (Redis logs every state change). */
const LOG_TAIL_CHARS = 8000;

const INSTALL_HINT =
  'The Redis Cluster tests need redis-server and redis-cli (Redis 7) on the PATH: ' +
  '`npm run test:all` installs them, `npm test` does not; run `bash scripts/install-test-deps.sh` ' +
  '(Debian package redis-server, which brings redis-cli) once.';

/** One redis-server of a cluster. Its index in `RedisCluster.nodes` never changes. */
export interface RedisClusterNode {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Its cluster node id, kept across restarts in the `nodes.conf` of its folder. */
  readonly id: string;
  /** False between `stopNode()` and `startNode()`. */
  readonly running: boolean;
}

export interface RedisClusterOptions {
  /** Append-only file per node, so a restarted node keeps its keys (as `startRedis()`'s). */
  persist?: boolean;
  /**
   * Replicas per master (default 0). With 1, stopping a master fails its slots over to its
   * replica (after about `nodeTimeoutMs` plus an election), as a production cluster would;
   * with 0, the stopped master's slots are unavailable until `startNode()`.
   */
  replicas?: 0 | 1;
  /** `cluster-node-timeout`: how long a node may be unreachable before it is failed (ms). */
  nodeTimeoutMs?: number;
  /**
   * `cluster-require-full-coverage` (default false, unlike Redis): when one shard is lost, the
   * other shards keep serving their slots, so a test can tell what depends on the lost shard.
   * With true, every node refuses every command (CLUSTERDOWN) once the lost shard is failed.
   */
  requireFullCoverage?: boolean;
}

/**
 * A real Redis Cluster on 127.0.0.1: 3 masters (`nodes[0..2]`, owning slots 0-5460,
 * 5461-10922 and 10923-16383 when started) and, with `replicas: 1`, a replica of each
 * (`nodes[3 + i]` replicates `nodes[i]`). Each node has its own folder.
 */
export interface RedisCluster {
  readonly nodes: readonly RedisClusterNode[];
  /** Startup nodes for ioredis: `new Cluster(cluster.startupNodes)` (every node, in order). */
  readonly startupNodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** The same as URLs; ioredis `Cluster` takes these too. */
  readonly urls: readonly string[];
  /** The first node's URL: enough for a client that discovers the others (while it runs). */
  readonly url: string;
  /** Index of the master serving `key`'s slot now, as a running node sees it. */
  nodeOf(key: string): number;
  /**
   * Stops one node (SIGTERM, or SIGKILL for a crash) and waits for its process to exit. Its
   * folder stays for `startNode()`; with `persist`, its keys too.
   */
  stopNode(index: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /**
   * Starts a stopped node again on its port and folder, and waits until it has rejoined: every
   * running node reports `cluster_state:ok` and sees it connected and not failing. A master
   * without replicas must come back owning the slots it had, or this fails. When every node
   * runs again, it also waits for `waitUntilHealthy()`.
   */
  startNode(index: number): Promise<void>;
  /** Waits until every other running node has flagged node `index` as failed (`fail`). */
  waitUntilFailed(index: number): Promise<void>;
  /**
   * Waits until every running node reports `cluster_state:ok`, sees every running node connected
   * and not failing, and sees every slot owned by a running master (e.g. after a failover).
   */
  waitUntilHealthy(): Promise<void>;
  /** Stops every node (as `stopNode()`); `start()` brings the same cluster back. */
  stop(): Promise<void>;
  /** Starts every stopped node and waits until the cluster is healthy. */
  start(): Promise<void>;
  /** Stops every node for good and removes their folders. Safe to call twice. */
  dispose(): Promise<void>;
  /**
   * Runs one redis-cli command against node `index` and returns its output. Not cluster-aware
   * unless the args start with `-c` (then it follows MOVED redirections).
   */
  cli(index: number, ...args: string[]): string;
  /**
   * Closes, on every running node, the pub/sub connections named `name`; returns how many.
   * ioredis names a `Cluster`'s connections after their role: with `connectionName: 'x'`, its
   * sharded subscribers are `ioredis-cluster(ssubscriber):x`, its subscriber
   * `ioredis-cluster(subscriber):x`.
   */
  killSubscribers(name: string): number;
}

interface NodeState {
  port: number;
  id: string;
  readonly dir: string;
  child: ChildProcess | undefined;
  /** The slots it owned when the cluster formed, as in CLUSTER NODES (`0-5460`). */
  slots: string;
  log: string;
}

/** One line of CLUSTER NODES. */
interface NodeView {
  readonly id: string;
  readonly port: number;
  readonly flags: readonly string[];
  /** Master's id for a replica, '-' for a master. */
  readonly master: string;
  readonly connected: boolean;
  /** Slot ranges (`0-5460`, `42`), without migration entries. */
  readonly slots: readonly string[];
}

/**
 * Starts a Redis Cluster of 3 masters (and with `replicas: 1`, 3 replicas) joined with
 * `redis-cli --cluster create`, and resolves once every node reports `cluster_state:ok`.
 * On any failure, whatever it started is stopped and removed before it rejects.
 *
 * @example
 * const cluster = await startRedisCluster();
 * const client = new Cluster(cluster.startupNodes);
 * // ...
 * client.disconnect();
 * await cluster.dispose();
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const replicas = options.replicas ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const root = mkdtempSync(join(tmpdir(), 'sse-redis-cluster-'));
  let nodes: NodeState[] = Array.from({ length: 3 * (1 + replicas) }, (_, i) => {
    const dir = join(root, `node-${i}`);
    mkdirSync(dir);
    return { port: 0, id: '', dir, child: undefined, slots: '', log: '' };
  });
  let disposed = false;
  const killAll = () => {
    for (const node of nodes) if (isRunning(node)) node.child?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  // A test process that exits without dispose() (a failed beforeAll, a forgotten afterAll)
  // must not leave servers behind.
  process.once('exit', killAll);

  const args = (node: NodeState) => [
    '--bind',
    '127.0.0.1',
    '--port',
    String(node.port),
    '--dir',
    node.dir,
    '--save',
    '',
    '--appendonly',
    options.persist ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--cluster-enabled',
    'yes',
    // Relative to --dir: the node's id, epoch and slots survive a restart.
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(nodeTimeoutMs),
    '--cluster-require-full-coverage',
    options.requireFullCoverage ? 'yes' : 'no',
    // A replica may always take over, however long ago it last heard from its master.
    '--cluster-replica-validity-factor',
    '0',
    // Replicas sync at once instead of waiting 5 s for more replicas to share the transfer.
    '--repl-diskless-sync-delay',
    '0',
  ];

  const teardown = async () => {
    disposed = true;
    await Promise.all(nodes.map((node) => stopProcess(node, 'SIGTERM')));
    process.removeListener('exit', killAll);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const taken = new Set<number>();
    for (const node of nodes) await startOnFreePorts(node, args, taken);
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await cliAsync(nodes[0] as NodeState, [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]).catch((error: Error) => {
      throw new Error(`redis-cli --cluster create ${addresses.join(' ')} failed: ${error.message}`);
    });
    for (const node of nodes) node.id = (await cliAsync(node, ['CLUSTER', 'MYID'])).trim();
    nodes = await ordered(nodes, STATE_TIMEOUT_MS);
    await waitFor('the new cluster to be healthy', () => healthy(nodes), STATE_TIMEOUT_MS);
  } catch (error) {
    await teardown();
    throw error;
  }

  const byIndex = (index: number): NodeState => {
    const node = nodes[index];
    if (!node) throw new Error(`The cluster has nodes 0 to ${nodes.length - 1}, not ${index}`);
    return node;
  };
  const cli = (index: number, ...command: string[]) =>
    execFileSync('redis-cli', ['-p', String(byIndex(index).port), ...command]).toString();
  const anyRunning = (): NodeState => {
    const node = nodes.find(isRunning);
    if (!node) throw new Error('No node of the cluster is running');
    return node;
  };
  const notDisposed = (what: string) => {
    if (disposed) throw new Error(`${what}: the cluster is disposed`);
  };

  const startNode = async (index: number) => {
    notDisposed(`startNode(${index})`);
    const node = byIndex(index);
    if (isRunning(node)) throw new Error(`Node ${index} (port ${node.port}) is already running`);
    await startProcess(node, args(node)).catch((error: Error) => {
      throw new Error(`Could not restart node ${index} on port ${node.port}: ${error.message}`);
    });
    await waitFor(
      `node ${index} (port ${node.port}) to rejoin the cluster`,
      () => rejoined(nodes, node, replicas === 0),
      STATE_TIMEOUT_MS,
    );
    if (nodes.every(isRunning)) {
      await waitFor('the cluster to be healthy', () => healthy(nodes), STATE_TIMEOUT_MS);
    }
  };

  const cluster: RedisCluster = {
    nodes: nodes.map((node) => ({
      port: node.port,
      url: `redis://127.0.0.1:${node.port}`,
      id: node.id,
      get running() {
        return isRunning(node);
      },
    })),
    startupNodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    urls: nodes.map((node) => `redis://127.0.0.1:${node.port}`),
    url: `redis://127.0.0.1:${(nodes[0] as NodeState).port}`,
    nodeOf: (key) => {
      const slot = keySlot(key);
      const from = String(anyRunning().port);
      const view = parseNodes(execFileSync('redis-cli', ['-p', from, 'CLUSTER', 'NODES']));
      const owner = view.find((line) => line.master === '-' && ownsSlot(line.slots, slot));
      const index = nodes.findIndex((node) => node.id === owner?.id);
      if (index < 0) throw new Error(`No master serves slot ${slot} of "${key}"`);
      return index;
    },
    stopNode: async (index, signal = 'SIGTERM') => {
      notDisposed(`stopNode(${index})`);
      await stopProcess(byIndex(index), signal);
    },
    startNode,
    waitUntilFailed: async (index) => {
      const node = byIndex(index);
      await waitFor(
        `every running node to flag node ${index} (port ${node.port}) as failed`,
        () => flaggedFailed(nodes, node),
        STATE_TIMEOUT_MS,
      );
    },
    waitUntilHealthy: () =>
      waitFor('the cluster to be healthy', () => healthy(nodes), STATE_TIMEOUT_MS),
    stop: async () => {
      notDisposed('stop()');
      await Promise.all(nodes.map((node) => stopProcess(node, 'SIGTERM')));
    },
    start: async () => {
      notDisposed('start()');
      await Promise.all(
        nodes
          .filter((node) => !isRunning(node))
          .map((node) =>
            startProcess(node, args(node)).catch((error: Error) => {
              throw new Error(`Could not restart the node on port ${node.port}: ${error.message}`);
            }),
          ),
      );
      await waitFor('the restarted cluster to be healthy', () => healthy(nodes), STATE_TIMEOUT_MS);
    },
    dispose: () => (disposed ? Promise.resolve() : teardown()),
    cli,
    killSubscribers: (name) => {
      let killed = 0;
      nodes.forEach((node, index) => {
        if (!isRunning(node)) return;
        const ids = cli(index, 'CLIENT', 'LIST', 'TYPE', 'pubsub')
          .split('\n')
          .filter((line) => line.includes(` name=${name} `))
          .map((line) => /\bid=(\d+)/.exec(line)?.[1] as string);
        for (const id of ids) cli(index, 'CLIENT', 'KILL', 'ID', id);
        killed += ids.length;
      });
      return killed;
    },
  };
  return cluster;
}

function isRunning(node: NodeState): boolean {
  return node.child !== undefined && node.child.exitCode === null && node.child.signalCode === null;
}

/**
 * Starts a node on a port whose bus port is free too. Another process (a parallel Jest worker)
 * may take either between our probe and the server's bind: then it tries other ports.
 */
async function startOnFreePorts(
  node: NodeState,
  args: (node: NodeState) => string[],
  taken: Set<number>,
): Promise<void> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = PORTS.min + Math.floor(Math.random() * (PORTS.max - PORTS.min + 1));
    if (taken.has(port) || taken.has(port + BUS_OFFSET)) continue;
    if (!(await canListen(port)) || !(await canListen(port + BUS_OFFSET))) continue;
    node.port = port;
    try {
      await startProcess(node, args(node));
      taken.add(port).add(port + BUS_OFFSET);
      return;
    } catch (error) {
      lastError = error as Error;
      if (!/already in use/i.test(node.log)) throw error;
      // The failed server may have written a nodes.conf naming the port it could not bind.
      rmSync(node.dir, { recursive: true, force: true });
      mkdirSync(node.dir);
    }
  }
  throw new Error(
    `Found no free port pair (port and port + ${BUS_OFFSET}) between ${PORTS.min} and ` +
      `${PORTS.max} for a cluster node in ${PORT_ATTEMPTS} attempts` +
      (lastError ? `; last: ${lastError.message}` : ''),
  );
}

function startProcess(node: NodeState, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    node.log = '';
    const server = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    node.child = server;
    let ready = false;
    const onData = (chunk: Buffer) => {
      node.log = (node.log + chunk.toString()).slice(-LOG_TAIL_CHARS);
      if (!ready && node.log.includes('Ready to accept connections')) {
        ready = true;
        resolve();
      }
    };
    // Both pipes are read for the server's whole life: a full pipe would block its logging.
    server.stdout?.on('data', onData);
    server.stderr?.on('data', onData);
    server.on('error', (error) =>
      reject(new Error(`Could not start redis-server (${error.message}). ${INSTALL_HINT}`)),
    );
    server.on('exit', (code, signal) => {
      if (!ready) {
        reject(
          new Error(
            `redis-server on port ${node.port} exited with ${code ?? signal} before it was ` +
              `ready:\n${node.log}`,
          ),
        );
      }
    });
  });
}

function stopProcess(node: NodeState, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  return new Promise((resolve) => {
    const child = node.child;
    if (!child || !isRunning(node)) return resolve();
    // A server that ignores SIGTERM (stuck writing its append-only file) is killed after 5 s.
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function cliAsync(node: NodeState, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('redis-cli', ['-p', String(node.port), ...args], {
      timeout: 10_000,
    });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new Error(`Could not run redis-cli (${failure.message}). ${INSTALL_HINT}`);
    }
    const output = `${failure.stdout ?? ''}${failure.stderr ?? ''}`.trim();
    throw new Error(`redis-cli -p ${node.port} ${args.join(' ')}: ${failure.message}\n${output}`);
  }
}

/** Polls `check` (which says what is still missing, or undefined once done) until it is done. */
async function waitFor(
  what: string,
  check: () => Promise<string | undefined>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing: string | undefined;
  for (;;) {
    try {
      missing = await check();
    } catch (error) {
      missing = (error as Error).message;
    }
    if (missing === undefined) return;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}: ${missing}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function clusterInfo(node: NodeState): Promise<Map<string, string>> {
  const text = await cliAsync(node, ['CLUSTER', 'INFO']);
  return new Map(
    text
      .split(/\r?\n/)
      .map((line) => line.split(':') as [string, string?])
      .filter((pair): pair is [string, string] => pair[1] !== undefined),
  );
}

async function clusterNodes(node: NodeState): Promise<NodeView[]> {
  return parseNodes(await cliAsync(node, ['CLUSTER', 'NODES']));
}

function parseNodes(text: string | Buffer): NodeView[] {
  return text
    .toString()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', master = '', , , , link = '', ...slots] = line
        .trim()
        .split(' ');
      return {
        id,
        port: Number(/:(\d+)@/.exec(address)?.[1]),
        flags: flags.split(','),
        master,
        connected: link === 'connected',
        slots: slots.filter((slot) => !slot.startsWith('[')),
      };
    });
}

function ownsSlot(ranges: readonly string[], slot: number): boolean {
  return ranges.some((range) => {
    const [from, to = from] = range.split('-').map(Number) as [number, number?];
    return slot >= from && slot <= to;
  });
}

const failing = (view: NodeView) =>
  view.flags.some((flag) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(flag)) ||
  !view.connected;

/**
 * Puts the masters first, by their first slot, each replica at 3 + its master's index, and
 * records each master's slots. Waits until the node that `--cluster create` left has gossiped
 * every replica's role.
 */
async function ordered(nodes: NodeState[], timeoutMs: number): Promise<NodeState[]> {
  let result: NodeState[] = [];
  await waitFor(
    'every node of the new cluster to know its role',
    async () => {
      const view = await clusterNodes(nodes[0] as NodeState);
      const firstSlot = (line: NodeView) => Number(line.slots[0]?.split('-')[0] ?? SLOTS);
      const masters = view
        .filter((line) => line.master === '-' && line.slots.length > 0)
        .sort((a, b) => firstSlot(a) - firstSlot(b));
      const replicas = masters.map((master) => view.find((line) => line.master === master.id));
      if (masters.length !== 3) return `${masters.length} masters with slots, not 3`;
      const wanted = nodes.length === 6 ? [...masters, ...replicas] : masters;
      if (wanted.some((line) => line === undefined)) return 'a master has no replica yet';
      result = wanted.map((line) => {
        const node = nodes.find((candidate) => candidate.id === line?.id) as NodeState;
        node.slots = line?.master === '-' ? line.slots.join(' ') : '';
        return node;
      });
      return undefined;
    },
    timeoutMs,
  );
  return result;
}

/** What keeps the running nodes from a healthy cluster, or undefined when healthy. */
async function healthy(nodes: readonly NodeState[]): Promise<string | undefined> {
  const running = nodes.filter(isRunning);
  const ids = new Set(running.map((node) => node.id));
  for (const node of running) {
    const info = await clusterInfo(node);
    if (info.get('cluster_state') !== 'ok') {
      return `node on port ${node.port} reports cluster_state:${info.get('cluster_state')}`;
    }
    const view = await clusterNodes(node);
    const down = view.find((line) => ids.has(line.id) && failing(line));
    if (down) return `node on port ${node.port} sees port ${down.port} as ${down.flags.join(',')}`;
    const served = view
      .filter((line) => line.master === '-' && ids.has(line.id))
      .flatMap((line) => line.slots)
      .reduce((sum, range) => {
        const [from, to = from] = range.split('-').map(Number) as [number, number?];
        return sum + to - from + 1;
      }, 0);
    if (served !== SLOTS) {
      return `node on port ${node.port} sees ${served} of ${SLOTS} slots served by running masters`;
    }
  }
  return undefined;
}

/**
 * What keeps `node` from having rejoined, or undefined once it has: every running node reports
 * ok and sees it connected and not failing; with `sameSlots` (no replica could take over), it
 * is a master owning the slots it had.
 */
async function rejoined(
  nodes: readonly NodeState[],
  node: NodeState,
  sameSlots: boolean,
): Promise<string | undefined> {
  for (const other of nodes.filter(isRunning)) {
    const info = await clusterInfo(other);
    if (info.get('cluster_state') !== 'ok') {
      return `node on port ${other.port} reports cluster_state:${info.get('cluster_state')}`;
    }
    const seen = (await clusterNodes(other)).find((line) => line.id === node.id);
    if (!seen) return `node on port ${other.port} does not know it`;
    if (failing(seen)) return `node on port ${other.port} sees it as ${seen.flags.join(',')}`;
    if (sameSlots && seen.slots.join(' ') !== node.slots) {
      return (
        `node on port ${other.port} sees it owning slots "${seen.slots.join(' ')}", ` +
        `not "${node.slots}"`
      );
    }
  }
  return undefined;
}

/** What keeps the running nodes from all flagging `node` as failed, or undefined once they do. */
async function flaggedFailed(
  nodes: readonly NodeState[],
  node: NodeState,
): Promise<string | undefined> {
  for (const other of nodes.filter((candidate) => candidate !== node && isRunning(candidate))) {
    const seen = (await clusterNodes(other)).find((line) => line.id === node.id);
    if (!seen?.flags.includes('fail')) {
      return `node on port ${other.port} sees it as ${seen?.flags.join(',') ?? 'unknown'}`;
    }
  }
  return undefined;
}
