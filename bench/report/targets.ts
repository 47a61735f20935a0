import {
  BASELINE,
  BURST_SIZES,
  SAME_ADAPTER_NEST_SSE,
  SERVER_LABELS,
  type LibraryKind,
} from '../config.js';
import { burstMetricKey } from '../scenarios/bursts.js';
import type { ServerKind } from '../shared/protocol.js';
import type { ClientBoundCheck } from './client-bound.js';

/** What this library must achieve on one metric, on each adapter it runs on. */
export interface Target {
  readonly scenario: string;
  readonly metric: string;
  /** Bound on library / raw node:http, in the metric's units (so "max" for costs). */
  readonly ratioToBaseline?: { readonly bound: number; readonly kind: 'min' | 'max' };
  /** Whether the library must beat its rivals (see `rivalsOf`). */
  readonly aheadOfRivals: boolean;
  /** Bound on the figure itself, for a figure that is already a share of another. */
  readonly bound?: { readonly value: number; readonly kind: 'min' | 'max' };
}

/**
 * What a library server must beat: NestJS @Sse() on the same adapter, so the adapter's own cost
 * is on both sides, and better-sse (on node:http, it has no adapter to choose).
 */
export function rivalsOf(library: LibraryKind): readonly ServerKind[] {
  return [SAME_ADAPTER_NEST_SSE[library], 'better-sse'];
}

const SCALE_POINTS = ['scale', 'scale-most'] as const;

/**
 * The targets of issue 13, for the library on Express and on Fastify alike: at least 0.9x raw
 * node:http's deliveries/s at every burst size and at both scale points; the time until the last
 * client has a single event at most 1.1x raw's (the median round; its p99 over a few dozen rounds
 * is the worst round, which one GC pause decides, so it is shown, not judged); idle RSS per
 * stream at most 1.3x raw's; and ahead of NestJS @Sse() and better-sse on every judged figure.
 * The Redis scenario has neither rival, and no one has set a bound on what a second instance may
 * cost: its ratio to one instance is shown, not judged.
 */
export const TARGETS: readonly Target[] = [
  ...BURST_SIZES.map((size): Target => ({
    scenario: 'bursts',
    metric: burstMetricKey(size),
    ratioToBaseline: { bound: 0.9, kind: 'min' },
    aheadOfRivals: true,
  })),
  ...SCALE_POINTS.flatMap((scenario): Target[] => [
    { scenario, metric: 'connectsPerSecond', aheadOfRivals: true },
    {
      scenario,
      metric: 'rssPerStream',
      ratioToBaseline: { bound: 1.3, kind: 'max' },
      aheadOfRivals: true,
    },
    {
      scenario,
      metric: 'fanOutP50',
      ratioToBaseline: { bound: 1.1, kind: 'max' },
      aheadOfRivals: true,
    },
    {
      scenario,
      metric: 'deliveriesPerSecond',
      ratioToBaseline: { bound: 0.9, kind: 'min' },
      aheadOfRivals: true,
    },
  ]),
  { scenario: 'targeted', metric: 'deliveriesPerSecond', aheadOfRivals: true },
  { scenario: 'replay', metric: 'catchUpMs', aheadOfRivals: true },
  // Issue 14: an instance spends on events of channels it has no stream on at most 2% of what
  // delivering as many costs it.
  {
    scenario: 'redis-elsewhere',
    metric: 'elsewhereShare',
    aheadOfRivals: false,
    bound: { value: 0.02, kind: 'max' },
  },
  // The same for an instance among 4 serving 1,000 rooms: the other instances' rooms' traffic.
  {
    scenario: 'redis-rooms',
    metric: 'othersShare',
    aheadOfRivals: false,
    bound: { value: 0.02, kind: 'max' },
  },
  // Issue 14: publish-bound load on a 3-master cluster at least twice the events/s of one Redis.
  {
    scenario: 'redis-publish',
    metric: 'clusterGain',
    aheadOfRivals: false,
    bound: { value: 2, kind: 'min' },
  },
];

/**
 * Better than raw node:http by more than this is reported as suspect: raw node:http is the
 * reference, so a ratio past it says the measurement is wrong before it says anything else.
 */
const SUSPECT_MARGIN = 0.05;

/** Whether `mine` is better than raw node:http's `raw` by more than `SUSPECT_MARGIN`. */
export function pastRaw(mine: number, raw: number, better: 'higher' | 'lower'): boolean {
  if (!Number.isFinite(mine) || !Number.isFinite(raw) || raw <= 0) return false;
  const ratio = mine / raw;
  return better === 'higher' ? ratio > 1 + SUSPECT_MARGIN : ratio < 1 - SUSPECT_MARGIN;
}

export type Verdict = 'PASS' | 'FAIL' | 'client-bound' | 'n/a';

/** What the report shows of an outcome, also read back from a results file. */
export interface TargetView {
  readonly verdict: Verdict;
  /** What the target asks, in words. */
  readonly wants: string;
  /** Why it failed or could not be judged; for a PASS, a ratio past raw's to distrust. */
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
 * its scenario failed or did not run). A figure the clients may have bounded (`check`) gets no
 * PASS or FAIL: the comparison would be the clients'.
 */
export function evaluate(
  target: Target,
  better: 'higher' | 'lower',
  values: Partial<Record<ServerKind, number>>,
  library: LibraryKind,
  check?: ClientBoundCheck,
): TargetOutcome {
  const wants = describeTarget(target);
  const outcome = (verdict: Verdict, reasons: readonly string[]): TargetOutcome => ({
    target,
    library,
    verdict,
    wants,
    reasons,
  });
  const mine = values[library];
  if (mine === undefined || !Number.isFinite(mine))
    return outcome('n/a', ['no figure for this library']);
  if (check?.clientBound) return outcome('client-bound', [check.reason ?? 'client-bound']);
  if (check && check.clientBound === undefined) return outcome('n/a', [check.reason ?? '']);
  const reasons: string[] = [];
  const missing: string[] = [];
  let suspect: string | undefined;
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
      if (pastRaw(mine, base, better))
        suspect = `${ratio.toFixed(2)}x raw node:http: suspect the measurement first`;
    }
  }
  if (target.bound) {
    const { value, kind } = target.bound;
    if (kind === 'min' ? mine < value : mine > value)
      reasons.push(
        `${formatBound(mine)}, needs ${kind === 'min' ? '>=' : '<='} ${formatBound(value)}`,
      );
  }
  for (const rival of target.aheadOfRivals ? rivalsOf(library) : []) {
    const theirs = values[rival];
    if (theirs === undefined || !Number.isFinite(theirs)) missing.push(SERVER_LABELS[rival]);
    else if (better === 'higher' ? !(mine > theirs) : !(mine < theirs))
      reasons.push(`behind ${SERVER_LABELS[rival]}`);
  }
  if (reasons.length > 0) return outcome('FAIL', reasons);
  if (missing.length > 0) return outcome('n/a', [`no figure for ${missing.join(', ')}`]);
  return outcome('PASS', suspect === undefined ? [] : [suspect]);
}

function describeTarget(target: Target): string {
  const parts: string[] = [];
  if (target.ratioToBaseline) {
    const { bound, kind } = target.ratioToBaseline;
    parts.push(`${kind === 'min' ? '>=' : '<='} ${bound.toFixed(2)}x raw`);
  }
  if (target.bound) {
    const { value, kind } = target.bound;
    parts.push(`${kind === 'min' ? '>=' : '<='} ${formatBound(value)}`);
  }
  if (target.aheadOfRivals) parts.push('ahead of @Sse, better-sse');
  return parts.join(', ');
}

/** A bound on a share, as a percentage. */
function formatBound(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
