import type { BenchParams } from '../config.js';
import type { Deployment } from '../orchestrator/deployment.js';
import type { SpeedGate } from '../orchestrator/speed-gate.js';
import type { ServerKind, ServerSpec } from '../shared/protocol.js';

export interface MetricDefinition {
  /** Key in `ScenarioResult.metrics`. */
  readonly key: string;
  readonly label: string;
  readonly better: 'higher' | 'lower';
  readonly format: (value: number) => string;
  /**
   * Set for a figure no run measures: once the passes are aggregated, computed from the same
   * implementation's aggregated figures `inputs` (NaN when one of them is missing).
   */
  readonly derived?: {
    readonly inputs: readonly MetricRef[];
    readonly compute: (inputs: readonly number[], params: BenchParams) => number;
  };
  /** False where a ratio to raw node:http's figure means nothing (a ratio, a lag near zero). */
  readonly vsRaw?: boolean;
  /** How the run tells whether the clients, not the servers, may have set this figure. */
  readonly clientCheck?: ClientCheck;
}

/**
 * - `capacity`, for a deliveries/s figure measured on `streams(params)` streams: the run measures
 *   the clients' capacity on as many streams (`client-capacity.ts`), and the figure is
 *   client-bound when its best server reaches more than half of it.
 * - `lag`, for the time until the last client has an event: `lagMetric` is how long after the
 *   server had made its last write the last client had it; the figure is client-bound when that
 *   is more than a tenth of the best server's time (the clients were behind, not keeping up).
 * - `saturation`, for a figure that compares what a server (e.g. one Redis) can take: `busyMetric`
 *   is that server's CPU over the wall time (1 = one core); the figure is load-bound when the
 *   best implementation's is below `min` (the processes generating the load set it, not the
 *   server they load).
 */
export type ClientCheck =
  | { readonly kind: 'capacity'; readonly streams: (params: BenchParams) => number }
  | { readonly kind: 'lag'; readonly lagMetric: string }
  | {
      readonly kind: 'saturation';
      readonly busyMetric: string;
      readonly min: number;
      /** What `busyMetric` is the CPU of, as the reason names it. */
      readonly server: string;
    };

export interface MetricRef {
  readonly scenario: string;
  readonly metric: string;
}

export interface ScenarioResult {
  /** The figures of the table, by `MetricDefinition.key`. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Everything else worth keeping in the JSON (per-burst figures, raw memory samples...). */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface ScenarioContext {
  /** The scenario's processes; `deployment.cpu` records CPU use while it measures. */
  readonly deployment: Deployment;
  /** The implementation under test. */
  readonly spec: ServerSpec;
  readonly params: BenchParams;
  /** The run's gate against spells of a slowed CPU (`speed-gate.ts`). */
  readonly speed: SpeedGate;
}

/**
 * One measurement, run once per implementation, each time in fresh processes. A scenario starts
 * what it needs through the deployment (one server or several, and clients) and leaves stopping
 * them to the caller.
 */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly metrics: readonly MetricDefinition[];
  /**
   * True for a scenario with one server and its clients: the server then runs alone on a CPU
   * when the run places processes (`cpu-placement.ts`). Scenarios of several instances and Redis
   * are left to the scheduler, since their processes outnumber the cores.
   */
  readonly isolatesServer?: boolean;
  /** Implementations the scenario cannot run on, and why: printed with every run. */
  readonly unsupported?: Partial<Record<ServerKind, string>>;
  /** The parameters in one line, for the report. */
  describe(params: BenchParams): string;
  run(context: ScenarioContext): Promise<ScenarioResult>;
}

/** What a scenario only this library can run says of every other implementation. */
export function onlyTheLibrary(reason: string): Partial<Record<ServerKind, string>> {
  const others: ServerKind[] = [
    'nest-sse',
    'nest-sse-fastify',
    'nest-route',
    'better-sse',
    'raw-http',
    'raw-http-write',
  ];
  return Object.fromEntries(others.map((kind) => [kind, reason]));
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const formatCount = (value: number): string => integer.format(value);
export const formatMs = (value: number): string => `${value.toFixed(2)} ms`;
export const formatRatio = (value: number): string => `${value.toFixed(2)}x`;
export const formatPercent = (value: number): string => `${(value * 100).toFixed(1)}%`;
export const formatMiB = (value: number): string => `${(value / 2 ** 20).toFixed(0)} MiB`;
export const formatBytes = (value: number): string =>
  Math.abs(value) >= 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${value.toFixed(0)} B`;
