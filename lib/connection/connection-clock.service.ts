import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ResolvedSseOptions } from '../interfaces/sse-options.interface.js';
import { heartbeatFrame } from '../wire/sse-frame.js';
import { ConnectionPool } from './connection-pool.js';
import type { OutboundFrame } from '../interfaces/sse-frame.interface.js';
import { SSE_OPTIONS } from '../sse.constants.js';

/** Ticks per heartbeat interval: how late an idle connection's heartbeat may start, at most. */
const TICKS_PER_INTERVAL = 4;
/** How long a stream ended by the server may take to flush before it is dropped. */
const CLOSING_GRACE_MS = 5_000;
const HEARTBEAT: OutboundFrame = { bytes: heartbeatFrame(), isEvent: false, heartbeat: true };

/**
 * The one timer all connections share (never one per connection). On each tick it writes a
 * heartbeat to idle streams, ends streams that reached `maxDurationMs`, and drops ended streams
 * whose client stopped reading. It runs only while connections exist.
 *
 * A connection gets a heartbeat once silent for `interval - tick`, so none stays silent longer
 * than the interval, and busy ones get none.
 */
@Injectable()
export class ConnectionClock implements OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;
  private readonly idleMs: number;
  private readonly maxDurationMs: number | undefined;

  constructor(
    private readonly pool: ConnectionPool,
    @Inject(SSE_OPTIONS) options: ResolvedSseOptions,
  ) {
    this.tickMs = Math.max(1, Math.floor(options.heartbeatIntervalMs / TICKS_PER_INTERVAL));
    this.idleMs = options.heartbeatIntervalMs - this.tickMs;
    this.maxDurationMs = options.maxDurationMs;
    pool.onSizeChange((present) => (present > 0 ? this.start() : this.stop()));
  }

  /** True while the shared timer is scheduled. */
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
    for (const connection of this.pool.values()) {
      if (connection.state === 'open') {
        if (
          this.maxDurationMs !== undefined &&
          now - connection.connectedAt >= this.maxDurationMs
        ) {
          connection.end('max-duration');
        } else if (!connection.isBackedUp && now - connection.lastWriteAt >= this.idleMs) {
          connection.write(HEARTBEAT, now);
        }
      } else if (
        connection.state === 'closing' &&
        now - (connection.closingSince ?? now) >= CLOSING_GRACE_MS
      ) {
        connection.destroy(connection.closeReason ?? 'client');
      }
    }
  }
}
