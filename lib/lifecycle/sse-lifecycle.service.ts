import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { SseBackend } from '../interfaces/sse-backend.interface.js';
import { ConnectionPool } from '../connection/connection-pool.js';
import { LocalDelivery } from '../connection/local-delivery.js';
import type { OutboundFrame } from '../interfaces/sse-frame.interface.js';
import { eventFrame } from '../connection/outbound-frame.js';
import { SseInstance } from '../connection/sse-instance.js';
import { SseShutdownError } from '../errors/sse-shutdown.error.js';
import type { ResolvedSseOptions } from '../interfaces/sse-options.interface.js';
import { SSE_BACKEND, SSE_OPTIONS } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';
import { encodeEvent } from '../wire/event-encoder.js';

/** What `BroadcastService` does, as named in `SseShutdownError` messages. */
type SseOperation = 'publish' | 'sendTo' | 'sendToUser' | 'finish';

/**
 * Starts the backend with the application and stops the streams with it. On `app.close()`:
 * publishes made while other modules shut down still go out; then new publishes and streams are
 * refused, operations already under way (a publish whose payload is being validated) complete,
 * every open stream gets the shutdown event and ends, and streams that do not flush are dropped,
 * so the HTTP server can close; then the backend closes. `shutdownTimeoutMs` bounds the whole of
 * it: an operation still validating when the wait ends rejects with {@link SseShutdownError}
 * instead of sending, and the backend stops waiting on its transport.
 */
@Injectable()
export class SseLifecycle
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  /** `draining`: nothing new is accepted, operations under way finish; `ending`: streams end. */
  private phase: 'running' | 'draining' | 'ending' = 'running';
  private inFlight = 0;
  private onSettled: (() => void) | undefined;
  /** When `shutdownTimeoutMs` runs out, from the start of shutdown. */
  private deadline = 0;
  private readonly shutdownFrame: OutboundFrame | undefined;

  constructor(
    @Inject(SSE_BACKEND) private readonly backend: SseBackend,
    private readonly delivery: LocalDelivery,
    private readonly pool: ConnectionPool,
    private readonly instance: SseInstance,
    @Inject(SSE_OPTIONS) private readonly options: ResolvedSseOptions,
  ) {
    this.shutdownFrame = options.shutdownEvent
      ? eventFrame(encodeEvent(options.shutdownEvent))
      : undefined;
  }

  get isStopping(): boolean {
    return this.phase !== 'running';
  }

  /**
   * Runs `run` as an operation that shutdown waits for (up to `shutdownTimeoutMs`), whether it
   * succeeds or fails. Rejects with {@link SseShutdownError}, without running it, once shutdown
   * has begun.
   */
  track<T>(operation: SseOperation, target: string, run: () => Promise<T>): Promise<T> {
    if (this.phase !== 'running')
      return Promise.reject(new SseShutdownError(SseMessages.operationOn(operation, target)));
    this.inFlight++;
    let running: Promise<T>;
    try {
      running = run();
    } catch (error) {
      this.settleOne();
      return Promise.reject(error);
    }
    // The caller gets `run`'s own promise: no wrapper per send, at targeted-send rates.
    running.then(this.settleOne, this.settleOne);
    return running;
  }

  private readonly settleOne = (): void => {
    this.inFlight--;
    if (this.inFlight === 0) this.onSettled?.();
  };

  /**
   * Throws {@link SseShutdownError} if shutdown stopped waiting for an operation under `track()`:
   * the streams are ending, so sending now would reach no one, or only some.
   */
  assertDeliverable(operation: SseOperation, target: string): void {
    if (this.phase === 'ending')
      throw new SseShutdownError(SseMessages.operationOn(operation, target));
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
    this.phase = 'draining';
    this.deadline = Date.now() + this.options.shutdownTimeoutMs;
    // Operations under way deliver to the still-open streams, before the shutdown event.
    await this.settled(this.deadline);
    this.phase = 'ending';
    for (const connection of [...this.pool.values()])
      connection.end('shutdown', this.shutdownFrame);
    await this.flushed(this.deadline);
    for (const connection of [...this.pool.values()]) connection.destroy('shutdown');
  }

  async onApplicationShutdown(): Promise<void> {
    const outOfTime = new AbortController();
    const timer = setTimeout(() => outOfTime.abort(), Math.max(0, this.deadline - Date.now()));
    try {
      await this.backend.close(outOfTime.signal);
    } finally {
      clearTimeout(timer);
    }
    // Subscribers of ConnectionRegistry.events$ learn that no more events will come.
    this.pool.events$.complete();
  }

  private settled(deadline: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return untilDeadline(deadline, (done) => {
      this.onSettled = done;
      return () => (this.onSettled = undefined);
    });
  }

  private flushed(deadline: number): Promise<void> {
    if (this.pool.size === 0) return Promise.resolve();
    return untilDeadline(deadline, (done) =>
      this.pool.onSizeChange((present) => {
        if (present === 0) done();
      }),
    );
  }
}

/**
 * Resolves when `listen` calls `done`, or at `deadline` if that comes first. `listen` returns
 * how to stop listening, which happens either way.
 */
function untilDeadline(deadline: number, listen: (done: () => void) => () => void): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stopListening();
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
    const stopListening = listen(done);
  });
}
