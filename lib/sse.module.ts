import { Module, type DynamicModule } from '@nestjs/common';
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
import { resolveSseOptions } from './options/resolve-sse-options.js';
import type { ResolvedSseOptions } from './interfaces/sse-options.interface.js';
import { BroadcastService } from './services/broadcast.service.js';
import { ConnectionRegistry } from './services/connection-registry.service.js';
import { SSE_BACKEND, SSE_OPTIONS } from './sse.constants.js';
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
export class SseModule extends ConfigurableSseModule {
  /** Every option has a default, so `SseModule.forRoot()` needs no argument. */
  static override forRoot(options: typeof SSE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
