import { Controller, Module, type DynamicModule } from '@nestjs/common';
// The package's own names, resolved through its exports map to dist/: what a user imports.
import { BroadcastService, ConnectionRegistry, SseChannel, SseModule } from 'nestjs-sse-channels';
import { RedisBackend } from 'nestjs-sse-channels/redis';
import { BENCH_CHANNEL, ELSEWHERE_CHANNEL, PAYLOAD, SPREAD_CHANNEL } from '../config.js';
import type { ServerSpec } from '../shared/protocol.js';
import { listeningPort, type BenchServer } from './bench-server.js';
import { listenNestApp, type NestPlatform } from './nest-app.js';

@Controller()
class LibraryBenchController {
  /** A pure channel subscription: the stream carries what is published to 'bench'. */
  @SseChannel(BENCH_CHANNEL)
  bench(): void {}

  /** One channel per room, `spread/<room>`: the rooms spread over several instances. */
  @SseChannel(`${SPREAD_CHANNEL}/:room`)
  room(): void {}
}

@Module({ controllers: [LibraryBenchController] })
class LibraryBenchModule {
  static forSpec(spec: ServerSpec): DynamicModule {
    return {
      module: LibraryBenchModule,
      imports: [
        SseModule.forRoot({
          // The largest interval the module accepts: no heartbeat is due during a run.
          heartbeatIntervalMs: 3_600_000,
          ...(spec.redisCluster !== undefined
            ? { backend: new RedisBackend({ cluster: { nodes: [...spec.redisCluster] } }) }
            : spec.redisUrl !== undefined
              ? { backend: new RedisBackend({ url: spec.redisUrl }) }
              : {}),
        }),
      ],
    };
  }
}

/** This library in a NestJS 12 application on Express or Fastify. */
export async function createLibraryServer(
  spec: ServerSpec,
  platform: NestPlatform,
): Promise<BenchServer> {
  const app = await listenNestApp(LibraryBenchModule.forSpec(spec), platform);
  const broadcast = app.get(BroadcastService);
  const registry = app.get(ConnectionRegistry);
  return {
    port: listeningPort(app.getHttpServer().address()),
    // An explicit event object, made per call as an application's code makes it.
    publish: () => broadcast.publish(BENCH_CHANNEL, { data: PAYLOAD }).then((result) => result.id),
    publishElsewhere: () =>
      broadcast.publish(ELSEWHERE_CHANNEL, { data: PAYLOAD }).then((result) => result.id),
    publishTo: (channel) =>
      broadcast.publish(channel, { data: PAYLOAD }).then((result) => result.id),
    connectionIds: () => registry.list().map((connection) => connection.id),
    sendToEach: (ids) => Promise.all(ids.map((id) => broadcast.sendTo(id, { data: PAYLOAD }))),
    // count() without a filter is O(1); a scenario puts streams on one channel or on rooms.
    subscribers: () => registry.count(),
  };
}
