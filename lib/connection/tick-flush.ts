/** A stream whose writes are held for the rest of the tick. */
export interface TickCorked {
  /** Lets out what the stream wrote during the tick. */
  endTick(): void;
}

/**
 * Lets out, at the end of the current tick, every stream whose writes were held during it
 * (corked): all of a stream's frames of one tick (a burst of publishes, a Redis read that
 * brings many messages, a replay, heartbeats) leave in one system call, and none waits longer
 * than the tick, without a timer. One `process.nextTick` per tick for all streams, where
 * `node:http` schedules one per response. One per module, never process-wide.
 */
export class TickFlush {
  private pending: TickCorked[] = [];
  private readonly flush = (): void => {
    const pending = this.pending;
    this.pending = [];
    for (const stream of pending) stream.endTick();
  };

  /** `stream` was just corked: it is uncorked at the end of this tick. */
  add(stream: TickCorked): void {
    if (this.pending.push(stream) === 1) process.nextTick(this.flush);
  }
}
