import { Controller, Get, Query, UseGuards, type Type } from '@nestjs/common';
import { interval, map, startWith, type Observable } from 'rxjs';
import { SseChannel } from '../decorators/sse-channel.decorator.js';
import type {
  SseConnectionInfo,
  SseConnectionState,
  SseRegistryStats,
} from '../interfaces/sse-connection-info.interface.js';
import type { SseEvent } from '../interfaces/sse-event.interface.js';
import { ConnectionRegistry } from '../services/connection-registry.service.js';
import type { SseAdminOptions } from './sse-admin-options.js';

/**
 * Builds the admin controller for the configured path and guards. A class per module instance,
 * because route paths and guards are fixed when the class is decorated.
 */
export function createSseAdminController(options: Required<SseAdminOptions>): Type<unknown> {
  @Controller(options.path)
  @UseGuards(...options.guards)
  class SseAdminController {
    constructor(private readonly registry: ConnectionRegistry) {}

    /** Registry totals: connections, per channel, per user, drops, disconnects by reason. */
    @Get('stats')
    stats(): SseRegistryStats {
      return this.registry.stats();
    }

    /** Connections of this process, optionally filtered by `channel`, `userId`, `state`. */
    @Get('connections')
    connections(
      @Query('channel') channel?: string,
      @Query('userId') userId?: string,
      @Query('state') state?: SseConnectionState,
    ): SseConnectionInfo[] {
      return this.registry.list({ channel, userId, state });
    }

    /** The same totals as a live stream: one `stats` event at once, then every interval. */
    @SseChannel('stats/stream', { channel: [] })
    stream(): Observable<SseEvent<SseRegistryStats>> {
      return interval(options.statsIntervalMs).pipe(
        startWith(0),
        map(() => ({ event: 'stats', data: this.registry.stats() })),
      );
    }
  }
  return SseAdminController;
}
