import {
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MemoryBackend } from './backends/memory/memory.backend.js';
import { ChannelRules } from './channel/channel-rules.js';
import { SseChannelMetadataAccessor } from './channel/sse-channel-metadata.accessor.js';
import { SseRouteTable } from './channel/sse-route-table.js';
import { ChannelHub } from './connection/channel-hub.js';
import { ConnectionClock } from './connection/connection-clock.service.js';
import { ConnectionPool } from './connection/connection-pool.js';
import { LocalDelivery } from './connection/local-delivery.js';
import { SseInstance } from './connection/sse-instance.js';
import { ChannelEndpoint } from './endpoint/channel-endpoint.service.js';
import { SseLifecycle } from './lifecycle/sse-lifecycle.service.js';
import { resolveMeter } from './metrics/resolve-meter.js';
import { SseMetrics } from './metrics/sse-metrics.js';
import { resolveSseOptions } from './options/resolve-sse-options.js';
import type { ResolvedSseOptions } from './interfaces/sse-options.interface.js';
import { BroadcastService } from './services/broadcast.service.js';
import { ConnectionRegistry } from './services/connection-registry.service.js';
import { SSE_BACKEND, SSE_METER, SSE_OPTIONS } from './sse.constants.js';
import {
  ConfigurableSseModule,
  SSE_MODULE_OPTIONS,
  SSE_OPTIONS_TYPE,
} from './sse.module-definition.js';

/**
 * Server-Sent Events for the application: import it once, in the root module.
 *
 * @example
 * \@Module({ imports: [SseModule.forRoot({ heartbeatIntervalMs: 15_000 })] })
 * export class AppModule {}
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    // Defaults are merged and validated here, once; an invalid option fails the boot.
    { provide: SSE_OPTIONS, useFactory: resolveSseOptions, inject: [SSE_MODULE_OPTIONS] },
    {
      provide: SSE_BACKEND,
      useFactory: (options: ResolvedSseOptions) => options.backend ?? new MemoryBackend(),
      inject: [SSE_OPTIONS],
    },
    // Async, so @opentelemetry/api is imported (if installed and wanted) before anything records.
    { provide: SSE_METER, useFactory: resolveMeter, inject: [SSE_OPTIONS] },
    SseMetrics,
    BroadcastService,
    ConnectionRegistry,
    ConnectionPool,
    ChannelHub,
    ChannelRules,
    ConnectionClock,
    LocalDelivery,
    SseInstance,
    SseLifecycle,
    ChannelEndpoint,
    SseRouteTable,
    SseChannelMetadataAccessor,
  ],
  exports: [BroadcastService, ConnectionRegistry, SSE_OPTIONS],
})
export class SseModule extends ConfigurableSseModule implements NestModule {
  constructor(private readonly metrics: SseMetrics) {
    super();
  }

  /** Every option has a default, so `SseModule.forRoot()` needs no argument. */
  static override forRoot(options: typeof SSE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /**
   * With metrics on, watches the requests of the controllers with `@SseChannel()` routes from
   * before any guard runs, so those a guard refuses are counted (see `SseMetrics`).
   */
  configure(consumer: MiddlewareConsumer): void {
    for (const { controller, middleware } of this.metrics.guardWatches())
      consumer.apply(middleware).forRoutes(controller);
  }
}
