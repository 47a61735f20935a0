import type { BenchParams } from '../config.js';
import type { Deployment } from '../orchestrator/deployment.js';
import type { ServerKind, ServerSpec } from '../shared/protocol.js';

export interface MetricDefinition {
  /** Key in `ScenarioResult.metrics`. */
  readonly key: string;
  readonly label: string;
  readonly better: 'higher' | 'lower';
  readonly format: (value: number) => string;
  /**
   * Set for a figure no run measures: once the passes are aggregated, this scenario's `of`
   * figure divided by the same implementation's `to` figure (NaN when that scenario did not run).
   */
  readonly ratio?: {
    readonly of: string;
    readonly to: { readonly scenario: string; readonly metric: string };
  };
}

export interface ScenarioResult {
  /** The figures of the table, by `MetricDefinition.key`. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Everything else worth keeping in the JSON (per-burst figures, raw memory samples...). */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface ScenarioContext {
  readonly deployment: Deployment;
  /** The implementation under test. */
  readonly spec: ServerSpec;
  readonly params: BenchParams;
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
  /** Implementations the scenario cannot run on, and why: printed with every run. */
  readonly unsupported?: Partial<Record<ServerKind, string>>;
  /** The parameters in one line, for the report. */
  describe(params: BenchParams): string;
  run(context: ScenarioContext): Promise<ScenarioResult>;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const formatCount = (value: number): string => integer.format(value);
export const formatMs = (value: number): string => `${value.toFixed(2)} ms`;
export const formatRatio = (value: number): string => `${value.toFixed(2)}x`;
export const formatBytes = (value: number): string =>
  Math.abs(value) >= 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${value.toFixed(0)} B`;
