import { BASELINE, SAME_ADAPTER_NEST_SSE, SERVER_LABELS, type LibraryKind } from '../config.js';
import type { ServerKind } from '../shared/protocol.js';

/** What this library must achieve on one metric, on each adapter it runs on. */
export interface Target {
  readonly scenario: string;
  readonly metric: string;
  /** Bound on library / raw node:http, in the metric's units (so "max" for costs). */
  readonly ratioToBaseline?: { readonly bound: number; readonly kind: 'min' | 'max' };
  /** Whether the library must beat its rivals (see `rivalsOf`). */
  readonly aheadOfRivals: boolean;
}

/**
 * What a library server must beat: NestJS @Sse() on the same adapter, so the adapter's own cost
 * is on both sides, and better-sse (on node:http, it has no adapter to choose).
 */
export function rivalsOf(library: LibraryKind): readonly ServerKind[] {
  return [SAME_ADAPTER_NEST_SSE[library], 'better-sse'];
}

/**
 * The targets: at least 0.8x raw node:http on throughput and latency (for a latency, a cost,
 * that is at most 1 / 0.8 = 1.25x the raw time), at most 1.3x its memory per connection, and
 * ahead of NestJS @Sse() and better-sse on every scenario they run (the targets the benchmark
 * was specified with, which set ratios to raw for those three scenarios only). The library on
 * Express and on Fastify each has to meet them all, against @Sse() on its own adapter. The Redis
 * scenario has neither rival, and no one has set a bound on what a second instance may cost:
 * its ratio to one instance is shown in the table (`vsSingleInstance`), not judged.
 */
export const TARGETS: readonly Target[] = [
  {
    scenario: 'throughput',
    metric: 'deliveriesPerSecond',
    ratioToBaseline: { bound: 0.8, kind: 'min' },
    aheadOfRivals: true,
  },
  ...['fanOutP50', 'fanOutP99', 'perClientP50', 'perClientP99'].map((metric): Target => ({
    scenario: 'latency',
    metric,
    ratioToBaseline: { bound: 1 / 0.8, kind: 'max' },
    aheadOfRivals: true,
  })),
  {
    scenario: 'memory',
    metric: 'rssPerConnection',
    ratioToBaseline: { bound: 1.3, kind: 'max' },
    aheadOfRivals: true,
  },
  { scenario: 'connect', metric: 'connectsPerSecond', aheadOfRivals: true },
  { scenario: 'targeted', metric: 'deliveriesPerSecond', aheadOfRivals: true },
  { scenario: 'replay', metric: 'catchUpMs', aheadOfRivals: true },
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
  readonly library: LibraryKind;
}

/** How outcomes are looked up: one per target and library server. */
export function targetKey(library: LibraryKind, scenario: string, metric: string): string {
  return `${library}:${scenario}.${metric}`;
}

/**
 * Judges `library`'s figure; `values` holds the metric's figure per implementation (absent when
 * its scenario failed or did not run).
 */
export function evaluate(
  target: Target,
  better: 'higher' | 'lower',
  values: Partial<Record<ServerKind, number>>,
  library: LibraryKind,
): TargetOutcome {
  const wants = describeTarget(target);
  const mine = values[library];
  if (mine === undefined || !Number.isFinite(mine))
    return { target, library, verdict: 'n/a', wants, reasons: ['no figure for this library'] };
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
  for (const rival of target.aheadOfRivals ? rivalsOf(library) : []) {
    const theirs = values[rival];
    if (theirs === undefined || !Number.isFinite(theirs)) missing.push(SERVER_LABELS[rival]);
    else if (better === 'higher' ? !(mine > theirs) : !(mine < theirs))
      reasons.push(`behind ${SERVER_LABELS[rival]}`);
  }
  if (reasons.length > 0) return { target, library, verdict: 'MISS', wants, reasons };
  if (missing.length > 0)
    return {
      target,
      library,
      verdict: 'n/a',
      wants,
      reasons: [`no figure for ${missing.join(', ')}`],
    };
  return { target, library, verdict: 'PASS', wants, reasons: [] };
}

function describeTarget(target: Target): string {
  const parts: string[] = [];
  if (target.ratioToBaseline) {
    const { bound, kind } = target.ratioToBaseline;
    parts.push(`${kind === 'min' ? '>=' : '<='} ${bound.toFixed(2)}x raw`);
  }
  if (target.aheadOfRivals) parts.push('ahead of @Sse, better-sse');
  return parts.join(', ');
}
