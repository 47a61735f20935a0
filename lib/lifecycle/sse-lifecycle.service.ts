import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { SseBackend } from '../backends/sse-backend.interface.js';
import { ConnectionPool } from '../connection/connection-pool.js';
import { LocalDelivery } from '../connection/local-delivery.js';
import { eventFrame, type OutboundFrame } from '../connection/outbound-frame.js';
import { SseInstance } from '../connection/sse-instance.js';
import { InjectSseOptions } from '../decorators/inject-sse-options.decorator.js';
import { SseShutdownError } from '../errors/sse-shutdown.error.js';
import type { ResolvedSseOptions } from '../options/sse-module-options.js';
import { SSE_BACKEND } from '../sse.constants.js';
import { encodeEvent } from '../wire/event-encoder.js';

/**
 * Starts the backend with the application and stops the streams with it. On `app.close()`:
 * publishes made while other modules shut down still go out; then new publishes and streams are
 * refused, every open stream gets the shutdown event and ends, and streams that do not flush
 * within `shutdownTimeoutMs` are dropped, so the HTTP server can close.
 */
@Injectable()
export class SseLifecycle
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private stopping = false;
  private readonly shutdownFrame: OutboundFrame | undefined;

  constructor(
    @Inject(SSE_BACKEND) private readonly backend: SseBackend,
    private readonly delivery: LocalDelivery,
    private readonly pool: ConnectionPool,
    private readonly instance: SseInstance,
    @InjectSseOptions() private readonly options: ResolvedSseOptions,
  ) {
    this.shutdownFrame = options.shutdownEvent
      ? eventFrame(encodeEvent(options.shutdownEvent))
      : undefined;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Throws {@link SseShutdownError} once shutdown has begun. */
  assertRunning(operation: string): void {
    if (this.stopping) throw new SseShutdownError(operation);
  }

  /** The module's hooks run before those of the modules importing it: no publish comes first. */
  async onModuleInit(): Promise<void> {
    await this.backend.attach({
      delivery: this.delivery,
      instanceId: this.instance.id,
      history: this.options.history,
      finished: this.options.finished,
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const connection of [...this.pool.values()])
      connection.end('shutdown', this.shutdownFrame);
    await this.flushed(this.options.shutdownTimeoutMs);
    for (const connection of [...this.pool.values()]) connection.destroy('shutdown');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
    // Subscribers of ConnectionRegistry.events$ learn that no more events will come.
    this.pool.events$.complete();
  }

  private flushed(timeoutMs: number): Promise<void> {
    if (this.pool.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const stopListening = this.pool.onSizeChange((present) => {
        if (present > 0) return;
        clearTimeout(timer);
        stopListening();
        resolve();
      });
      const timer = setTimeout(() => {
        stopListening();
        resolve();
      }, timeoutMs);
    });
  }
}
