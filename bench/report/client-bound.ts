import { SERVER_LABELS, type BenchParams } from '../config.js';
import type { Scenario } from '../scenarios/index.js';
import { formatCount, formatMs, type ClientCheck } from '../scenarios/scenario.js';
import type { ServerKind } from '../shared/protocol.js';
import type { Cells } from './aggregate.js';

/**
 * A deliveries/s figure is client-bound when its best server reaches more than this share of
 * what the clients took from the client-capacity reference on as many streams: past it, the
 * clients' share of the machine's two cores is no longer small beside the server's, and servers
 * that differ start to look alike.
 */
export const CLIENT_BOUND_SHARE = 0.5;
/**
 * A last-client time is client-bound when the last client had the event more than this share of
 * the best server's time after that server's last write (and more than `CLIENT_LAG_FLOOR_MS`):
 * the clients were still reading what the server had finished writing.
 */
export const CLIENT_LAG_SHARE = 0.1;
/**
 * Lag below this is scheduling, not reading: on a busy 2-core machine a client process can wait
 * that long for a core, and the server's own turn of the event loop after its writes takes time.
 */
export const CLIENT_LAG_FLOOR_MS = 2;

/** The client check of one figure (`MetricDefinition.clientCheck`). */
export interface ClientBoundCheck {
  readonly scenario: string;
  readonly metric: string;
  readonly kind: ClientCheck['kind'];
  /** The best server's figure. */
  readonly best?: { readonly kind: ServerKind; readonly value: number };
  /** For `capacity`: the streams, and what the clients took on as many (absent: not measured). */
  readonly streams?: number;
  readonly capacity?: number;
  /** For `lag`: the best server's client lag. */
  readonly lag?: number;
  /** For `saturation`: the loaded server's CPU (1 = one core) with the best implementation. */
  readonly busy?: number;
  /** Undefined when it cannot be told (no capacity was measured on as many streams). */
  readonly clientBound: boolean | undefined;
  /** Why the figure gets no verdict, when it gets none. */
  readonly reason?: string;
}

export const checkKey = (scenario: string, metric: string): string => `${scenario}.${metric}`;

/** Every client-checked figure of the run, by `checkKey`. */
export function checkClientBound(
  scenarios: readonly Scenario[],
  cells: Cells,
  params: BenchParams,
  capacity: ReadonlyMap<number, number>,
): Map<string, ClientBoundCheck> {
  const checks = new Map<string, ClientBoundCheck>();
  for (const scenario of scenarios)
    for (const { key, better, clientCheck } of scenario.metrics) {
      if (!clientCheck) continue;
      const base = {
        scenario: scenario.id,
        metric: key,
        kind: clientCheck.kind,
        best: bestOf(cells, scenario.id, key, better),
      };
      checks.set(
        checkKey(scenario.id, key),
        clientCheck.kind === 'capacity'
          ? judgeCapacity(base, clientCheck.streams(params), capacity)
          : clientCheck.kind === 'lag'
            ? judgeLag(base, cells, clientCheck.lagMetric)
            : judgeSaturation(base, cells, clientCheck),
      );
    }
  return checks;
}

type CheckBase = Pick<ClientBoundCheck, 'scenario' | 'metric' | 'kind' | 'best'>;

function bestOf(
  cells: Cells,
  scenario: string,
  metric: string,
  better: 'higher' | 'lower',
): ClientBoundCheck['best'] {
  let best: ClientBoundCheck['best'];
  for (const [kind, cell] of cells.get(scenario) ?? []) {
    const value = cell.succeeded > 0 ? cell.metrics[metric] : undefined;
    if (value === undefined || !Number.isFinite(value)) continue;
    if (!best || (better === 'higher' ? value > best.value : value < best.value))
      best = { kind, value };
  }
  return best;
}

function judgeCapacity(
  base: CheckBase,
  streams: number,
  capacities: ReadonlyMap<number, number>,
): ClientBoundCheck {
  const capacity = capacities.get(streams);
  const check = { ...base, streams, capacity };
  if (capacity === undefined || !Number.isFinite(capacity))
    return {
      ...check,
      clientBound: undefined,
      reason: `no client capacity measured on ${formatCount(streams)} streams`,
    };
  const { best } = base;
  if (!best || best.value <= capacity * CLIENT_BOUND_SHARE) return { ...check, clientBound: false };
  return {
    ...check,
    clientBound: true,
    reason:
      `${SERVER_LABELS[best.kind]} reached ${formatCount(best.value)}/s, more than ` +
      `${CLIENT_BOUND_SHARE * 100}% of the clients' ${formatCount(capacity)}/s`,
  };
}

function judgeLag(base: CheckBase, cells: Cells, lagMetric: string): ClientBoundCheck {
  const { best } = base;
  const lag = best ? cells.get(base.scenario)?.get(best.kind)?.metrics[lagMetric] : undefined;
  const check = { ...base, lag };
  if (!best || lag === undefined || !Number.isFinite(lag))
    return { ...check, clientBound: undefined, reason: 'no client lag measured' };
  if (lag <= Math.max(best.value * CLIENT_LAG_SHARE, CLIENT_LAG_FLOOR_MS))
    return { ...check, clientBound: false };
  return {
    ...check,
    clientBound: true,
    reason:
      `the last client had the event ${formatMs(lag)} after ${SERVER_LABELS[best.kind]}'s ` +
      `last write, more than ${CLIENT_LAG_SHARE * 100}% of its ${formatMs(best.value)}`,
  };
}

function judgeSaturation(
  base: CheckBase,
  cells: Cells,
  { busyMetric, min, server }: Extract<ClientCheck, { kind: 'saturation' }>,
): ClientBoundCheck {
  const { best } = base;
  const busy = best ? cells.get(base.scenario)?.get(best.kind)?.metrics[busyMetric] : undefined;
  const check = { ...base, busy };
  if (!best || busy === undefined || !Number.isFinite(busy))
    return { ...check, clientBound: undefined, reason: `no CPU of ${server} measured` };
  if (busy >= min) return { ...check, clientBound: false };
  return {
    ...check,
    clientBound: true,
    reason:
      `${server} used ${(busy * 100).toFixed(0)}% of a core with ${SERVER_LABELS[best.kind]}, ` +
      `under ${min * 100}%: the processes loading it set the figure, not ${server}`,
  };
}
