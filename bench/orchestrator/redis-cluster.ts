import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { HOST } from '../config.js';
import { findRedisServer, RedisServer } from './redis-server.js';

const run = promisify(execFile);
/** Masters of the cluster: the least that shows publishes spread over shards. */
export const CLUSTER_MASTERS = 3;
const POLL_MS = 100;

/**
 * A Redis Cluster of the benchmark's own: `CLUSTER_MASTERS` redis-servers without replicas,
 * joined with `redis-cli --cluster create`, ready once every node reports `cluster_state:ok`.
 * The Deployment that starts it stops its nodes.
 */
export class RedisCluster {
  private constructor(readonly nodes: readonly RedisServer[]) {}

  static async start(readyTimeoutMs: number): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 1; i <= CLUSTER_MASTERS; i++)
        nodes.push(await RedisServer.start(`redis-cluster node ${i}`, readyTimeoutMs, true));
      const cli = join(dirname(findRedisServer()), 'redis-cli');
      const addresses = nodes.map((node) => `${HOST}:${node.port}`);
      await run(cli, ['--cluster', 'create', ...addresses, '--cluster-yes'], {
        timeout: readyTimeoutMs,
      });
      const deadline = Date.now() + readyTimeoutMs;
      for (const node of nodes)
        for (;;) {
          const { stdout } = await run(cli, ['-p', String(node.port), 'CLUSTER', 'INFO']);
          if (stdout.includes('cluster_state:ok')) break;
          if (Date.now() > deadline)
            throw new Error(`redis-cluster node ${node.port} not ok within ${readyTimeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
      return new RedisCluster(nodes);
    } catch (error) {
      await Promise.all(nodes.map((node) => node.stop()));
      throw error;
    }
  }

  /** Startup nodes for `RedisBackend`'s `cluster.nodes`. */
  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }
}
