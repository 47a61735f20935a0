import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectSseOptions } from '../decorators/inject-sse-options.decorator.js';
import type { ResolvedSseOptions } from '../options/sse-module-options.js';
import { heartbeatFrame } from '../wire/event-encoder.js';
import { ConnectionPool } from './connection-pool.js';

/** Ticks per heartbeat interval: how late an idle connection's heartbeat may start, at most. */
const TICKS_PER_INTERVAL = 4;

/**
 * Keeps idle streams alive with one timer for all connections, not one per connection. The
 * timer runs only while connections are open. A connection gets a heartbeat once it has been
 * silent for `interval - tick`, so none stays silent longer than the interval, and busy ones get
 * none.
 */
@Injectable()
export class HeartbeatService implements OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;
  private readonly idleMs: number;

  constructor(
    private readonly pool: ConnectionPool,
    @InjectSseOptions() options: ResolvedSseOptions,
  ) {
    this.tickMs = Math.max(1, Math.floor(options.heartbeatIntervalMs / TICKS_PER_INTERVAL));
    this.idleMs = options.heartbeatIntervalMs - this.tickMs;
    pool.onAdded(() => this.start());
    pool.onRemoved(() => {
      if (pool.size === 0) this.stop();
    });
  }

  /** True while the shared timer is scheduled (it stops when the last connection closes). */
  get isRunning(): boolean {
    return this.timer !== undefined;
  }

  onModuleDestroy(): void {
    this.stop();
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    // The timer never keeps the process alive by itself.
    this.timer.unref();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = Date.now();
    const frame = heartbeatFrame();
    for (const connection of this.pool.values()) {
      if (now - connection.lastWriteAt >= this.idleMs) connection.write(frame, now, false);
    }
  }
}
