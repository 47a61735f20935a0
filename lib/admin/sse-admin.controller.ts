import { BadRequestException, Controller, Get, Query, UseGuards, type Type } from '@nestjs/common';
import { interval, map, startWith, type Observable } from 'rxjs';
import { SseChannel } from '../decorators/sse-channel.decorator.js';
import type {
  SseConnectionInfo,
  SseConnectionState,
  SseRegistryStats,
} from '../interfaces/sse-connection-info.interface.js';
import type { SseEvent } from '../interfaces/sse-event.interface.js';
import { ConnectionRegistry } from '../services/connection-registry.service.js';
import { SseMessages } from '../sse.messages.js';
import type { SseAdminOptions } from '../interfaces/sse-admin-options.interface.js';

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

    /**
     * Connections of this process, optionally filtered by `channel`, `userId`, `state`; a filter
     * that is not one (a state that does not exist, a parameter given twice) is a 400 naming it.
     */
    @Get('connections')
    connections(
      @Query('channel') channel?: unknown,
      @Query('userId') userId?: unknown,
      @Query('state') state?: unknown,
    ): SseConnectionInfo[] {
      return this.registry.list({
        channel: textFilter('channel', channel),
        userId: textFilter('userId', userId),
        state: stateFilter(state),
      });
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

const STATES: readonly SseConnectionState[] = ['connecting', 'open', 'closing', 'closed'];

function textFilter(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    throw new BadRequestException(
      SseMessages.adminFilterInvalid(name, 'a non-empty string', value),
    );
  return value;
}

function stateFilter(value: unknown): SseConnectionState | undefined {
  if (value === undefined) return undefined;
  if (!STATES.includes(value as SseConnectionState))
    throw new BadRequestException(
      SseMessages.adminFilterInvalid('state', `one of ${STATES.join(', ')}`, value),
    );
  return value as SseConnectionState;
}
