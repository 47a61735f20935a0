import { Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ConnectionRegistry, SseChannel, type SseEvent } from 'nestjs-sse-channels';
import { map, type Observable } from 'rxjs';
import { SessionGuard } from '../auth/session.guard.js';
import type { DashboardSnapshot } from './dashboard-snapshot.js';
import { DashboardService } from './dashboard.service.js';

@Controller('dashboard')
export class DashboardController {
  constructor(
    private readonly dashboard: DashboardService,
    private readonly registry: ConnectionRegistry,
  ) {}

  /** GET /dashboard/events: a `stats` event every second, for this connection only. */
  @SseChannel('events', { channel: [] })
  events(): Observable<SseEvent<DashboardSnapshot>> {
    return this.dashboard.snapshots$.pipe(map((data) => ({ event: 'stats', data })));
  }

  /**
   * Ends one connection of this instance (signed-in users only). Its client reconnects with
   * `Last-Event-ID` and gets what it missed: a way to watch replay work.
   */
  @Post('connections/:id/disconnect')
  @UseGuards(SessionGuard)
  @HttpCode(200)
  disconnect(@Param('id') id: string): { disconnected: number } {
    return { disconnected: this.registry.disconnect(id) };
  }
}
