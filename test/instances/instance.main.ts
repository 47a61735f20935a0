/**
 * One application instance for the multi-process Redis tests: the hub fixture on a Redis
 * backend, plus control routes the tests call to publish and query. Started by
 * test/support/instances.ts from its compiled form; prints `READY <url>` when listening.
 */
import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  HttpException,
  Injectable,
  Module,
  Post,
  Query,
  type OnModuleDestroy,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Subscription } from 'rxjs';
import {
  BroadcastService,
  ConnectionRegistry,
  SseModule,
  type SseCloseReason,
  type SseEvent,
} from '../../lib/index.js';
import { RedisBackend } from '../../lib/redis/index.js';
import {
  AdminGuard,
  HubController,
  Jobs,
  OpeningGate,
  UserFromHeaderGuard,
} from '../fixtures/hub.fixture.js';
import { countAcceptedSocketWrites } from './socket-writes.js';

const socketWrites = countAcceptedSocketWrites();

interface PublishBody {
  channel: string;
  event: SseEvent;
  exclude?: string[];
}

/** Bound on the disconnects `DisconnectLog` keeps: the oldest are forgotten first. */
const MAX_DISCONNECTS = 1_000;

/** The `disconnected` events of `registry.events$`, as a test reads them back. */
@Injectable()
class DisconnectLog implements OnModuleDestroy {
  readonly seen: Array<{ id: string; channels: readonly string[]; reason: SseCloseReason }> = [];
  private readonly subscription: Subscription;

  constructor(registry: ConnectionRegistry) {
    this.subscription = registry.events$.subscribe((event) => {
      if (event.type !== 'disconnected') return;
      const { id, channels } = event.connection;
      this.seen.push({ id, channels, reason: event.reason });
      if (this.seen.length > MAX_DISCONNECTS) this.seen.shift();
    });
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }
}

@Controller('control')
class ControlController {
  constructor(
    private readonly broadcast: BroadcastService,
    private readonly registry: ConnectionRegistry,
    private readonly disconnects: DisconnectLog,
  ) {}

  @Post('publish')
  publish(@Body() body: PublishBody) {
    return answer(() =>
      this.broadcast.publish(body.channel, body.event, { exclude: body.exclude }),
    );
  }

  /** Publishes `event` once to each of `count` channels `<prefix><n>`, all at once. */
  @Post('publish-many')
  publishMany(@Body() body: { prefix: string; count: number; event: SseEvent }) {
    return answer(async () => {
      const channels = Array.from({ length: body.count }, (_, n) => `${body.prefix}${n}`);
      await Promise.all(channels.map((channel) => this.broadcast.publish(channel, body.event)));
      return { published: channels.length };
    });
  }

  @Post('send-to')
  sendTo(@Body() body: { connectionId: string; event: SseEvent }) {
    return answer(() => this.broadcast.sendTo(body.connectionId, body.event));
  }

  @Post('send-to-user')
  sendToUser(@Body() body: { userId: string; event: SseEvent }) {
    return answer(() => this.broadcast.sendToUser(body.userId, body.event));
  }

  @Post('finish')
  finish(@Body() body: { channel: string; event?: SseEvent }) {
    return answer(() => this.broadcast.finish(body.channel, body.event));
  }

  @Get('history')
  history(
    @Query('channel') channel: string,
    @Query('afterId') afterId?: string,
    @Query('limit') limit?: string,
  ) {
    return answer(() =>
      this.broadcast.history(channel, { afterId, limit: limit ? Number(limit) : undefined }),
    );
  }

  @Get('stats')
  stats() {
    return this.registry.stats();
  }

  /** Writes so far on the sockets clients opened (see `countAcceptedSocketWrites()`). */
  @Get('socket-writes')
  socketWrites() {
    return { writes: socketWrites() };
  }

  @Get('health')
  health() {
    return this.registry.health();
  }

  /** Every `disconnected` event of `registry.events$` so far (the last 1,000). */
  @Get('disconnects')
  disconnected() {
    return this.disconnects.seen;
  }

  /** This instance's own connections: `list()`, `count()` and `get()` stay local. */
  @Get('list')
  list(@Query('channel') channel?: string, @Query('id') id?: string) {
    return {
      list: this.registry.list({ channel }),
      count: this.registry.count({ channel }),
      get: id === undefined ? null : (this.registry.get(id) ?? null),
    };
  }

  @Get('cluster-stats')
  clusterStats() {
    return answer(() => this.registry.clusterStats());
  }

  @Get('cluster-list')
  clusterList(@Query('channel') channel?: string) {
    return answer(() => this.registry.clusterList({ channel }));
  }
}

/** Errors become 503 with the library's message, so tests can read what a caller would see. */
async function answer<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new HttpException(
      { name: (error as Error).name, message: (error as Error).message },
      503,
    );
  }
}

async function main(): Promise<void> {
  const env = process.env;
  @Module({
    imports: [
      SseModule.forRoot({
        backend: new RedisBackend({
          // REDIS_CLUSTER: the nodes of a Redis Cluster, comma-separated; else REDIS_URL.
          ...(env.REDIS_CLUSTER
            ? { cluster: { nodes: env.REDIS_CLUSTER.split(',') } }
            : { url: env.REDIS_URL }),
          presenceIntervalMs: Number(env.PRESENCE_MS ?? 500),
          listTimeoutMs: Number(env.LIST_TIMEOUT_MS ?? 1_000),
          ...(env.CATCH_UP_BUFFER_BYTES && {
            catchUpBufferBytes: Number(env.CATCH_UP_BUFFER_BYTES),
          }),
          redis: {
            // Names its connections, so a test can cut this instance's subscription alone.
            ...(env.REDIS_NAME && { connectionName: env.REDIS_NAME }),
            // REDIS_SENTINELS: Sentinels (host:port, comma-separated) that name the master.
            ...(env.REDIS_SENTINELS && {
              sentinels: env.REDIS_SENTINELS.split(',').map((node) => {
                const [host, port] = node.split(':');
                return { host, port: Number(port) };
              }),
              name: env.REDIS_SENTINEL_NAME,
            }),
          },
        }),
        heartbeatIntervalMs: Number(env.HEARTBEAT_MS ?? 200),
        history: { size: Number(env.HISTORY_SIZE ?? 10_000) },
        shutdownTimeoutMs: 500,
      }),
    ],
    controllers: [HubController, ControlController],
    providers: [Jobs, OpeningGate, UserFromHeaderGuard, AdminGuard, DisconnectLog],
  })
  class InstanceModule {}

  const app =
    env.ADAPTER === 'fastify'
      ? await NestFactory.create(InstanceModule, new FastifyAdapter(), {
          logger: ['error', 'warn', 'log'],
        })
      : await NestFactory.create(InstanceModule, { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  process.stdout.write(`READY ${url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`instance failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
