import type { SpeedGateParams } from '../config.js';
import { min } from '../shared/stats.js';

/** What the gate did over a run, for the report. */
export interface SpeedGateSummary {
  /** The fastest probe of the run: the CPU's speed when nothing slowed it. */
  readonly fastestMs: number;
  /** Rounds measured, of those gated. */
  readonly rounds: number;
  /** Rounds measured again because the CPU was found slowed after them. */
  readonly redone: number;
  /** Rounds that counted although the CPU was still slowed (the waits and redos ran out). */
  readonly countedSlowed: number;
  /** Time spent waiting for a slowed CPU to recover. */
  readonly waitedMs: number;
}

/**
 * Keeps measured rounds out of the spells in which the host slows this VM's CPUs (see
 * `shared/cpu-probe.ts`). Before a measured round the server under test times the probe on
 * its CPU; while that takes more than `tolerance` times the fastest probe of the whole run, the
 * round waits. After the round it probes again, and a round the CPU was slowed by the end of
 * is measured again. Both are bounded, per round and over the run, so a machine that stays
 * slow still finishes its run; the rounds it counted anyway are reported.
 */
export class SpeedGate {
  private fastestMs = Number.POSITIVE_INFINITY;
  private rounds = 0;
  private redone = 0;
  private countedSlowed = 0;
  private waitedMs = 0;

  constructor(readonly params: SpeedGateParams) {}

  /** Whether rounds may still wait: the run's waits share one budget, so a slow day ends. */
  get mayWait(): boolean {
    return this.waitedMs < this.params.waitBudgetMs;
  }

  /** A gate for the rounds of one server, whose CPU `probe` times. */
  on(probe: () => Promise<number>): RoundGate {
    return new RoundGate(this, probe);
  }

  /** How much slower than the run's fastest this sample is (1 = not slowed). */
  slowdown(sampleMs: number): number {
    this.fastestMs = Math.min(this.fastestMs, sampleMs);
    return sampleMs / this.fastestMs;
  }

  record(outcome: { waitedMs: number; redone: boolean; countedSlowed: boolean }): void {
    this.waitedMs += outcome.waitedMs;
    if (outcome.redone) this.redone++;
    else {
      this.rounds++;
      if (outcome.countedSlowed) this.countedSlowed++;
    }
  }

  summary(): SpeedGateSummary {
    const { fastestMs, rounds, redone, countedSlowed, waitedMs } = this;
    return { fastestMs, rounds, redone, countedSlowed, waitedMs };
  }
}

/** What a gated round was measured at. */
export interface GatedRound<T> {
  readonly value: T;
  /** The CPU's slowdown around the round: the larger of the probes before and after it. */
  readonly slowdown: number;
}

export class RoundGate {
  private warm = false;

  constructor(
    private readonly run: SpeedGate,
    private readonly probe: () => Promise<number>,
  ) {}

  /**
   * Measures one round with `measure`, on a CPU that is not slowed if the bounds allow: waits
   * for it before, and measures again (up to `maxRedos` times) when it was slowed by the end.
   * Every attempt's `measure` runs to completion, so the caller's counts (events sent,
   * received) move on with each.
   */
  async round<T>(measure: () => Promise<T>): Promise<GatedRound<T>> {
    const { tolerance, maxRedos } = this.run.params;
    for (let attempt = 0; ; attempt++) {
      const { slowdown: before, waitedMs } = await this.settle();
      const value = await measure();
      const after = await this.sample();
      const slowdown = Math.max(before, after);
      const slowed = slowdown > tolerance;
      const redo = slowed && attempt < maxRedos;
      this.run.record({ waitedMs, redone: redo, countedSlowed: slowed });
      if (!redo) return { value, slowdown };
    }
  }

  /** Probes until the CPU is not slowed, or `maxWaitMs` has passed. */
  private async settle(): Promise<{ slowdown: number; waitedMs: number }> {
    const { tolerance, maxWaitMs, pollMs } = this.run.params;
    const started = performance.now();
    for (;;) {
      const slowdown = await this.sample();
      const waitedMs = performance.now() - started;
      if (slowdown <= tolerance || waitedMs >= maxWaitMs || !this.run.mayWait)
        return { slowdown, waitedMs };
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** The fastest of a few probes: one descheduling or interrupt does not make a slow CPU. */
  private async sample(): Promise<number> {
    // A fresh process's first probe runs before V8 has optimized it: it says nothing of the CPU.
    if (!this.warm) await this.probe();
    this.warm = true;
    const times: number[] = [];
    for (let i = 0; i < this.run.params.samples; i++) times.push(await this.probe());
    return this.run.slowdown(min(times));
  }
}
