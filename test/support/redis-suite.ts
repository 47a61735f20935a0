import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import type { PublishResult, SseChannelEvent } from '../../lib/index.js';
import { startApp, type AdapterName, type RunningApp } from './app.js';
import { startInstance, type Instance } from './instances.js';
import type { RedisClusterOptions } from './redis-cluster.js';
import { startRedis, type RedisServer } from './redis-server.js';
import {
  standaloneTarget,
  startRedisTarget,
  type RedisTarget,
  type Topology,
} from './redis-target.js';
import { opened, openRawStream, type RawStream } from './sse-clients.js';

/** What the tests of one Redis `describe()` share; see `redisSuite()`. */
export interface RedisSuite {
  /** The block's redis-server, started before its first test (standalone topology only). */
  readonly redis: RedisServer;
  /** The block's Redis, of either topology. */
  readonly target: RedisTarget;
  /** Starts one instance per `env`, each on `server` (the block's Redis by default). */
  startInstances(
    envs: ReadonlyArray<Record<string, string>>,
    server?: RedisServer,
  ): Promise<Instance[]>;
  /** Stops the instances started so far, before the test ends (e.g. to dispose their Redis). */
  stopInstances(): Promise<void>;
  /** Starts an app in this process (Express unless `adapter` says otherwise). */
  startApp(module: Parameters<typeof startApp>[0], adapter?: AdapterName): Promise<RunningApp>;
  /** Opens a raw stream on an instance or an app, once its preamble has arrived. */
  open(
    target: { readonly url: string },
    path: string,
    headers?: Record<string, string>,
  ): Promise<RawStream>;
  /**
   * Publishes `event` (what `publish()` takes: an event object) through an instance's control
   * route; the publish must succeed (201).
   */
  publish(instance: Instance, channel: string, event: SseChannelEvent): Promise<PublishResult>;
}

/**
 * Call at the top of a Redis `describe()`: one Redis for the block (a redis-server, with
 * `options` as `startRedis()` takes them, or with `topology: 'cluster'` a Redis Cluster started
 * with `options.cluster`), and
 * the instances, apps and streams a test opens through the returned helpers closed after each
 * test.
 */
export function redisSuite(
  options: Parameters<typeof startRedis>[0] & {
    topology?: Topology;
    /** On a cluster: how it is started (e.g. with replicas). */
    cluster?: RedisClusterOptions;
  } = {},
): RedisSuite {
  const { topology = 'standalone', cluster, ...serverOptions } = options;
  let target: RedisTarget | undefined;
  const instances: Instance[] = [];
  const apps: RunningApp[] = [];
  const streams: RawStream[] = [];

  beforeAll(async () => {
    target =
      topology === 'cluster'
        ? await startRedisTarget('cluster', cluster)
        : standaloneTarget(await startRedis(serverOptions));
  }, 60_000);
  afterAll(() => target?.dispose());
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await Promise.all([
      ...instances.splice(0).map((instance) => instance.stop()),
      ...apps.splice(0).map((running) => running.close()),
    ]);
  });

  const suite: RedisSuite = {
    get redis(): RedisServer {
      return suite.target.server;
    },
    get target(): RedisTarget {
      if (!target) throw new Error('the Redis suite has not started its Redis yet');
      return target;
    },
    startInstances: async (envs, on) => {
      const reach = on ? { REDIS_URL: on.url } : suite.target.instanceEnv;
      const started = await Promise.all(envs.map((env) => startInstance({ ...reach, ...env })));
      instances.push(...started);
      return started;
    },
    stopInstances: async () => {
      await Promise.all(instances.splice(0).map((instance) => instance.stop()));
    },
    startApp: async (module, adapter = 'express') => {
      const running = await startApp(module, adapter);
      apps.push(running);
      return running;
    },
    open: async (target, path, headers = {}) => {
      const stream = await openRawStream(`${target.url}${path}`, headers);
      streams.push(stream);
      await opened(stream);
      return stream;
    },
    publish: async (instance, channel, event) => {
      const { status, body } = await instance.post<PublishResult>('/control/publish', {
        channel,
        event,
      });
      expect(status).toBe(201);
      return body;
    },
  };
  return suite;
}
