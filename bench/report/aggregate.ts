import type { BenchParams } from '../config.js';
import type { RunRecord } from '../orchestrator/runner.js';
import type { Scenario } from '../scenarios/index.js';
import type { ServerKind } from '../shared/protocol.js';
import { median } from '../shared/stats.js';

/** One scenario on one implementation, over all passes. */
export interface Cell {
  /** Median over the passes that succeeded, by metric key; empty if none did. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly succeeded: number;
  readonly errors: readonly string[];
  /** Why the scenario does not run on this implementation, when it does not. */
  readonly notApplicable?: string;
}

/** scenario id -> implementation -> cell. */
export type Cells = ReadonlyMap<string, ReadonlyMap<ServerKind, Cell>>;

/** A cell while it is being filled in. */
type Filling = Cell & { readonly metrics: Record<string, number> };

export function aggregate(
  scenarios: readonly Scenario[],
  servers: readonly ServerKind[],
  records: readonly RunRecord[],
  params: BenchParams,
): Cells {
  const cells = new Map<string, Map<ServerKind, Filling>>();
  for (const scenario of scenarios) {
    const byServer = new Map<ServerKind, Filling>();
    for (const kind of servers) {
      const runs = records.filter((r) => r.kept && r.scenario === scenario.id && r.kind === kind);
      const ok = runs.flatMap((r) => (r.result ? [r.result] : []));
      const metrics: Record<string, number> = {};
      if (ok.length > 0)
        for (const { key, derived } of scenario.metrics)
          if (!derived) metrics[key] = median(ok.map((r) => r.metrics[key] ?? Number.NaN));
      byServer.set(kind, {
        metrics,
        succeeded: ok.length,
        errors: runs.flatMap((r) => (r.error === undefined ? [] : [r.error])),
        notApplicable: scenario.unsupported?.[kind],
      });
    }
    cells.set(scenario.id, byServer);
  }
  fillDerived(scenarios, cells, params);
  return cells;
}

/**
 * Fills in the figures computed from other figures (`MetricDefinition.derived`), once every
 * measured one is in. Inputs are all measured figures, so the order does not matter.
 */
function fillDerived(
  scenarios: readonly Scenario[],
  cells: ReadonlyMap<string, ReadonlyMap<ServerKind, Filling>>,
  params: BenchParams,
): void {
  for (const scenario of scenarios)
    for (const { key, derived } of scenario.metrics) {
      if (!derived) continue;
      for (const [kind, cell] of cells.get(scenario.id) ?? []) {
        if (cell.succeeded === 0) continue;
        const inputs = derived.inputs.map(({ scenario: id, metric }) => {
          const input = cells.get(id)?.get(kind);
          return input && input.succeeded > 0 ? (input.metrics[metric] ?? NaN) : NaN;
        });
        cell.metrics[key] = derived.compute(inputs, params);
      }
    }
}
