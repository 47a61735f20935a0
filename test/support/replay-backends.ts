import {
  MemoryBackend,
  type PublishResult,
  type SsePublishRequest,
  type SseReplayRequest,
  type SseReplayResult,
} from '../../lib/index.js';

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The in-memory backend with a history read that takes time, as a remote one does. Its own
 * replay answers within microtasks, before any publish can run; this one waits a macrotask
 * before reading history and another before answering, while publishes continue, so the
 * replaying connection must hold live frames, skip those the replay covered and write the rest.
 *
 * It records the ids published during those waits (the replaying connection has joined its
 * channels before the replay starts, so it receives every one of them while holding):
 * `covered` were published before the read, so the replay returns them too and the connection
 * must skip them; `heldOnly` were published after it, so only the hold delivers them.
 */
export class SlowReplayBackend extends MemoryBackend {
  readonly covered: string[] = [];
  readonly heldOnly: string[] = [];
  private beforeRead = 0;
  private afterRead = 0;

  override publish(request: SsePublishRequest): Promise<PublishResult> {
    // Taken now: the memory backend stores and delivers synchronously, within this call.
    const during = this.beforeRead > 0 ? this.covered : this.afterRead > 0 ? this.heldOnly : null;
    const result = super.publish(request);
    if (during) void result.then(({ id }) => during.push(id));
    return result;
  }

  override async replay(request: SseReplayRequest): Promise<SseReplayResult> {
    this.beforeRead++;
    await macrotask();
    this.beforeRead--;
    const result = super.replay(request);
    this.afterRead++;
    await macrotask();
    this.afterRead--;
    return result;
  }
}

/** The in-memory backend with replays that answer only once the test opens the gate. */
export class GatedReplayBackend extends MemoryBackend {
  /** Replays asked for so far. */
  started = 0;
  private open = (): void => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));

  release(): void {
    this.open();
  }

  override async replay(request: SseReplayRequest): Promise<SseReplayResult> {
    this.started++;
    await this.gate;
    return super.replay(request);
  }
}
