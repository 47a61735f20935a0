import type { RedisBackendOptions } from '../../lib/redis/index.js';
import { startRedisCluster, type RedisCluster, type RedisClusterOptions } from './redis-cluster.js';
import { startRedis, type RedisServer } from './redis-server.js';

/** The Redis topologies the Redis suites run on. */
export const TOPOLOGIES = ['standalone', 'cluster'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/**
 * A real Redis of either topology, as a test reaches it: a standalone redis-server, or a Redis
 * Cluster of 3 masters. What a test asks of "the Redis" (a command on a key, the node serving a
 * key) goes to the node that serves it.
 */
export interface RedisTarget {
  readonly topology: Topology;
  /** The `RedisBackend` options that reach it (plus any others a test adds). */
  readonly backendOptions: Pick<RedisBackendOptions, 'url' | 'cluster'>;
  /** What a test instance (test/instances/instance.main.ts) is given to reach it. */
  readonly instanceEnv: Readonly<Record<string, string>>;
  /** Runs one redis-cli command on the node serving `key` (its slot's master). */
  cliOn(key: string, ...args: string[]): string;
  /** The URL of the node serving `key`. */
  urlOf(key: string): string;
  /**
   * Closes the pub/sub connections named `name` (on every node); returns how many. An
   * instance's shard-channel subscribers are named after its `connectionName`.
   */
  killSubscribers(name: string): number;
  /** The standalone server; throws on a cluster. */
  readonly server: RedisServer;
  /** The cluster; throws on a standalone server. */
  readonly cluster: RedisCluster;
  dispose(): Promise<void>;
}

/** Starts a Redis of `topology`; a cluster with `clusterOptions` (e.g. replicas). */
export async function startRedisTarget(
  topology: Topology,
  clusterOptions: RedisClusterOptions = {},
): Promise<RedisTarget> {
  return topology === 'standalone'
    ? standaloneTarget(await startRedis())
    : clusterTarget(await startRedisCluster(clusterOptions));
}

/** A standalone redis-server started by the caller (e.g. with TLS), as a target. */
export function standaloneTarget(server: RedisServer): RedisTarget {
  return {
    topology: 'standalone',
    backendOptions: { url: server.url },
    instanceEnv: { REDIS_URL: server.url },
    cliOn: (_key, ...args) => server.cli(...args),
    urlOf: () => server.url,
    killSubscribers: (name) => server.killSubscribers(name),
    server,
    get cluster(): RedisCluster {
      throw new Error('this test runs on a standalone Redis, not a cluster');
    },
    dispose: () => server.dispose(),
  };
}

function clusterTarget(cluster: RedisCluster): RedisTarget {
  return {
    topology: 'cluster',
    backendOptions: { cluster: { nodes: [...cluster.urls] } },
    instanceEnv: { REDIS_CLUSTER: cluster.urls.join(',') },
    cliOn: (key, ...args) => cluster.cli(cluster.nodeOf(key), ...args),
    urlOf: (key) => (cluster.nodes[cluster.nodeOf(key)] as { url: string }).url,
    killSubscribers: (name) => cluster.killSubscribers(name),
    get server(): RedisServer {
      throw new Error('this test runs on a Redis Cluster, not a standalone Redis');
    },
    cluster,
    dispose: () => cluster.dispose(),
  };
}
