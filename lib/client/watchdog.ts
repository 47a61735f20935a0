/**
 * Declares a connection dead when nothing arrives for `timeoutMs`.
 *
 * `touch()` runs for every network chunk, so it only stores a deadline: the one timer is
 * re-armed when it fires early, not on every chunk. While paused (the reader is waiting for the
 * consumer, so silence is expected), it does not fire.
 */
export class Watchdog {
  private deadline = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  fired = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly onSilence: () => void,
  ) {}

  /** Starts (or resumes) watching from now. A timeout of 0 never starts. */
  start(): void {
    if (this.timeoutMs === 0 || this.fired) return;
    this.running = true;
    this.touch();
    this.arm(this.timeoutMs);
  }

  touch(): void {
    this.deadline = Date.now() + this.timeoutMs;
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(this.check, delayMs);
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (!this.running) return;
    const left = this.deadline - Date.now();
    if (left > 0) return this.arm(left);
    this.running = false;
    this.fired = true;
    this.onSilence();
  };
}
