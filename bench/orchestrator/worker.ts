import { fork, type ChildProcess } from 'node:child_process';
import { now } from '../shared/clock.js';
import { TASKSET } from './cpu-placement.js';
import type { ChildInit, ChildMessage, OpsShape, ParentMessage } from '../shared/protocol.js';

export interface WorkerOptions<TSpec> {
  /** For error messages: "library server", "client 2". */
  readonly label: string;
  readonly modulePath: string;
  readonly init: ChildInit<TSpec>;
  readonly execArgv?: readonly string[];
  readonly readyTimeoutMs: number;
  /** CPUs the child may run on, as `taskset -c` takes them ("0", "1-3"); any when unset. */
  readonly cpus?: string;
}

/** How far a child's clock is from the orchestrator's, and how sure that estimate is. */
export interface ClockOffset {
  readonly offsetMs: number;
  /** Half the round trip of the best sample: the true offset is within offset ± this. */
  readonly uncertaintyMs: number;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const STOP_GRACE_MS = 3_000;

/** A child process of the benchmark and the typed calls it answers. */
export class Worker<Ops extends OpsShape<Ops>> {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private exitError: Error | undefined;
  /** The child's clock minus the orchestrator's, once measured (`measureClockOffset`). */
  private clockOffsetMs = 0;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: ChildMessage) => this.onMessage(message));
    child.once('exit', (code, signal) => {
      this.exitError = new Error(`${label} exited (${signal ?? `code ${code}`})`);
      for (const [id, call] of this.pending) {
        clearTimeout(call.timer);
        this.pending.delete(id);
        call.reject(this.exitError);
      }
    });
  }

  /** Forks the child and resolves with what it announced once ready. */
  static async start<Ops extends OpsShape<Ops>, TSpec>(
    options: WorkerOptions<TSpec>,
  ): Promise<{ worker: Worker<Ops>; ready: unknown }> {
    const execArgv = [...(options.execArgv ?? [])];
    const child = fork(options.modulePath, [JSON.stringify(options.init)], {
      // taskset execs Node in place: the child keeps its pid and its IPC channel.
      ...(options.cpus === undefined
        ? { execArgv }
        : { execPath: TASKSET, execArgv: ['-c', options.cpus, process.execPath, ...execArgv] }),
      // Structured clone, so Float64Arrays cross the channel as they are.
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker = new Worker<Ops>(options.label, child);
    try {
      const ready = await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${options.label} not ready within ${options.readyTimeoutMs} ms`)),
          options.readyTimeoutMs,
        );
        child.on('message', (message: ChildMessage) => {
          if (message.type !== 'ready') return;
          clearTimeout(timer);
          resolve(message.info);
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`${options.label} exited before it was ready (${signal ?? code})`));
        });
      });
      return { worker, ready };
    } catch (error) {
      await worker.stop();
      throw error;
    }
  }

  call<K extends keyof Ops & string>(
    op: K,
    args: Ops[K]['args'],
    timeoutMs: number,
  ): Promise<Ops[K]['result']> {
    return this.request({ type: 'call', id: ++this.nextId, op, args }, timeoutMs);
  }

  private request<T>(
    message: ParentMessage & { readonly id: number },
    timeoutMs: number,
  ): Promise<T> {
    if (this.exitError) return Promise.reject(this.exitError);
    const what = message.type === 'call' ? message.op : message.type;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(message.id);
        reject(new Error(`${this.label}: ${what} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(message.id, {
        resolve: resolve as (result: unknown) => void,
        reject,
        timer,
      });
      this.send(message);
    });
  }

  /**
   * Estimates the child's clock offset NTP-style: the child reads its clock between the
   * orchestrator's send and receive, so offset = child - midpoint, within ± half the round trip.
   * The sample with the shortest round trip is the tightest.
   */
  async measureClockOffset(samples: number): Promise<ClockOffset> {
    let best: ClockOffset = { offsetMs: Number.NaN, uncertaintyMs: Number.POSITIVE_INFINITY };
    for (let i = 0; i < samples; i++) {
      const sentAt = now();
      const childAt = await this.request<number>({ type: 'clock', id: ++this.nextId }, 5_000);
      const receivedAt = now();
      const uncertaintyMs = (receivedAt - sentAt) / 2;
      if (uncertaintyMs < best.uncertaintyMs)
        best = { offsetMs: childAt - (sentAt + receivedAt) / 2, uncertaintyMs };
    }
    if (Number.isFinite(best.offsetMs)) this.clockOffsetMs = best.offsetMs;
    return best;
  }

  /**
   * A time the child read from its clock, on the orchestrator's: a process's time origin is read
   * once at its start, and a start on a busy machine can be descheduled between the two clock
   * reads that make it, leaving the process's clock milliseconds off (seen: 47 ms).
   */
  toLocalTime(childAt: number): number {
    return childAt - this.clockOffsetMs;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Asks the child to exit; kills it if it has not within a few seconds. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ type: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Last resort when the orchestrator itself is exiting. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private send(message: ParentMessage): void {
    if (this.child.connected) this.child.send(message);
  }

  private onMessage(message: ChildMessage): void {
    if (message.type === 'ready') return;
    const call = this.pending.get(message.id);
    if (!call) return;
    this.pending.delete(message.id);
    clearTimeout(call.timer);
    if (message.type === 'reply') call.resolve(message.result);
    else if (message.type === 'clock') call.resolve(message.at);
    else call.reject(new Error(`${this.label}: ${message.message}`));
  }
}
