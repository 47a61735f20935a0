import { BASELINE, SERVER_LABELS } from '../config.js';
import type { ServerKind } from '../shared/protocol.js';

/** What this library must achieve on one metric. */
export interface Target {
  readonly scenario: string;
  readonly metric: string;
  /** Bound on library / raw node:http, in the metric's units (so "max" for costs). */
  readonly ratioToBaseline?: { readonly bound: number; readonly kind: 'min' | 'max' };
  /** Implementations the library must beat. */
  readonly aheadOf: readonly ServerKind[];
}

const RIVALS: readonly ServerKind[] = ['nest-sse', 'better-sse'];

/**
 * The targets: at least 0.8x raw node:http on throughput and latency (for a latency, a cost,
 * that is at most 1 / 0.8 = 1.25x the raw time), at most 1.3x its memory per connection, and
 * ahead of NestJS @Sse() and better-sse on every scenario they run (the targets the benchmark
 * was specified with, which set ratios to raw for those three scenarios only). The Redis
 * scenario has neither rival, and no one has set a bound on what a second instance may cost:
 * its ratio to one instance is shown in the table (`vsSingleInstance`), not judged.
 */
export const TARGETS: readonly Target[] = [
  {
    scenario: 'throughput',
    metric: 'deliveriesPerSecond',
    ratioToBaseline: { bound: 0.8, kind: 'min' },
    aheadOf: RIVALS,
  },
  ...['fanOutP50', 'fanOutP99', 'perClientP50', 'perClientP99'].map((metric): Target => ({
    scenario: 'latency',
    metric,
    ratioToBaseline: { bound: 1 / 0.8, kind: 'max' },
    aheadOf: RIVALS,
  })),
  {
    scenario: 'memory',
    metric: 'rssPerConnection',
    ratioToBaseline: { bound: 1.3, kind: 'max' },
    aheadOf: RIVALS,
  },
  { scenario: 'connect', metric: 'connectsPerSecond', aheadOf: RIVALS },
  { scenario: 'targeted', metric: 'deliveriesPerSecond', aheadOf: RIVALS },
  { scenario: 'replay', metric: 'catchUpMs', aheadOf: RIVALS },
];

export type Verdict = 'PASS' | 'MISS' | 'n/a';

/** What the report shows of an outcome, also read back from a results file. */
export interface TargetView {
  readonly verdict: Verdict;
  /** What the target asks, in words. */
  readonly wants: string;
  /** Why it missed, or why it could not be judged. */
  readonly reasons: readonly string[];
}

export interface TargetOutcome extends TargetView {
  readonly target: Target;
}

/** `values` holds the metric's figure per implementation (absent when its scenario failed). */
export function evaluate(
  target: Target,
  better: 'higher' | 'lower',
  values: Partial<Record<ServerKind, number>>,
): TargetOutcome {
  const wants = describeTarget(target);
  const mine = values.library;
  if (mine === undefined || !Number.isFinite(mine))
    return { target, verdict: 'n/a', wants, reasons: ['no figure for this library'] };
  const reasons: string[] = [];
  const missing: string[] = [];
  if (target.ratioToBaseline) {
    const base = values[BASELINE];
    if (base === undefined || !Number.isFinite(base) || base === 0)
      missing.push(SERVER_LABELS[BASELINE]);
    else {
      const ratio = mine / base;
      const { bound, kind } = target.ratioToBaseline;
      if (kind === 'min' ? ratio < bound : ratio > bound)
        reasons.push(
          `${ratio.toFixed(2)}x raw, needs ${kind === 'min' ? '>=' : '<='} ${bound.toFixed(2)}x`,
        );
    }
  }
  for (const rival of target.aheadOf) {
    const theirs = values[rival];
    if (theirs === undefined || !Number.isFinite(theirs)) missing.push(SERVER_LABELS[rival]);
    else if (better === 'higher' ? !(mine > theirs) : !(mine < theirs))
      reasons.push(`behind ${SERVER_LABELS[rival]}`);
  }
  if (reasons.length > 0) return { target, verdict: 'MISS', wants, reasons };
  if (missing.length > 0)
    return { target, verdict: 'n/a', wants, reasons: [`no figure for ${missing.join(', ')}`] };
  return { target, verdict: 'PASS', wants, reasons: [] };
}

function describeTarget(target: Target): string {
  const parts: string[] = [];
  if (target.ratioToBaseline) {
    const { bound, kind } = target.ratioToBaseline;
    parts.push(`${kind === 'min' ? '>=' : '<='} ${bound.toFixed(2)}x raw`);
  }
  if (target.aheadOf.length > 0) parts.push('ahead of @Sse, better-sse');
  return parts.join(', ');
}
