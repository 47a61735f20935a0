import type { SpeedGateParams } from '../config.js';
import { min } from '../shared/stats.js';

/** What the gate did over a run, for the report. */
export interface SpeedGateSummary {
  /** The fastest probe of the run: the CPU's speed when nothing slowed it. */
  readonly fastestMs: number;
  /** Rounds measured through the gate. */
  readonly rounds: number;
  /** Rounds that started on a CPU still slowed (their wait, or the run's, ran out). */
  readonly countedSlowed: number;
  /** Time spent waiting for a slowed CPU to recover. */
  readonly waitedMs: number;
}

/**
 * Keeps measured rounds out of the spells in which the host slows this VM's CPUs (see
 * `shared/cpu-probe.ts`). Before a measured round the server under test times the probe on
 * its CPU; while that takes more than `tolerance` times the fastest probe of the whole run, the
 * round waits. The spells last a minute or more and a round a few seconds at most, so a round
 * that starts on a CPU at full speed ends on one. The waits are bounded per round and over the
 * run, so a machine that stays slow still finishes its run; rounds that started slowed anyway
 * are reported.
 *
 * Only before: probed right after a round, a server is still collecting the round's garbage on
 * helper threads that share its CPU, and the probe would blame the host for it.
 */
export class SpeedGate {
  private fastestMs = Number.POSITIVE_INFINITY;
  private rounds = 0;
  private countedSlowed = 0;
  private waitedMs = 0;

  constructor(readonly params: SpeedGateParams) {}

  /** A gate for the rounds of one server, whose CPU `probe` times. */
  on(probe: () => Promise<number>): RoundGate {
    return new RoundGate(this, probe);
  }

  /** Whether rounds may still wait: the run's waits share one budget, so a slow day ends. */
  get mayWait(): boolean {
    return this.waitedMs < this.params.waitBudgetMs;
  }

  /** How much slower than the run's fastest this sample is (1 = not slowed). */
  slowdown(sampleMs: number): number {
    this.fastestMs = Math.min(this.fastestMs, sampleMs);
    return sampleMs / this.fastestMs;
  }

  record(waitedMs: number, slowdown: number): void {
    this.rounds++;
    this.waitedMs += waitedMs;
    if (slowdown > this.params.tolerance) this.countedSlowed++;
  }

  summary(): SpeedGateSummary {
    const { fastestMs, rounds, countedSlowed, waitedMs } = this;
    return { fastestMs, rounds, countedSlowed, waitedMs };
  }
}

/** What a gated round was measured at. */
export interface GatedRound<T> {
  readonly value: T;
  /** How slowed the CPU was when the round started (1 = not at all). */
  readonly slowdown: number;
}

export class RoundGate {
  private warm = false;

  constructor(
    private readonly run: SpeedGate,
    private readonly probe: () => Promise<number>,
  ) {}

  /** Measures one round with `measure`, once the CPU is not slowed (within the bounds). */
  async round<T>(measure: () => Promise<T>): Promise<GatedRound<T>> {
    const { tolerance, maxWaitMs, pollMs } = this.run.params;
    const started = performance.now();
    for (;;) {
      const slowdown = await this.sample();
      const waitedMs = performance.now() - started;
      if (slowdown <= tolerance || waitedMs >= maxWaitMs || !this.run.mayWait) {
        this.run.record(waitedMs, slowdown);
        return { value: await measure(), slowdown };
      }
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
