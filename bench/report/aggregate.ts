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
): Cells {
  const cells = new Map<string, Map<ServerKind, Filling>>();
  for (const scenario of scenarios) {
    const byServer = new Map<ServerKind, Filling>();
    for (const kind of servers) {
      const runs = records.filter((r) => r.kept && r.scenario === scenario.id && r.kind === kind);
      const ok = runs.flatMap((r) => (r.result ? [r.result] : []));
      const metrics: Record<string, number> = {};
      if (ok.length > 0)
        for (const { key, ratio } of scenario.metrics)
          if (!ratio) metrics[key] = median(ok.map((r) => r.metrics[key] ?? Number.NaN));
      byServer.set(kind, {
        metrics,
        succeeded: ok.length,
        errors: runs.flatMap((r) => (r.error === undefined ? [] : [r.error])),
        notApplicable: scenario.unsupported?.[kind],
      });
    }
    cells.set(scenario.id, byServer);
  }
  fillRatios(scenarios, cells);
  return cells;
}

/** Fills in the figures defined as ratios to other scenarios' (`MetricDefinition.ratio`). */
function fillRatios(
  scenarios: readonly Scenario[],
  cells: ReadonlyMap<string, ReadonlyMap<ServerKind, Filling>>,
): void {
  for (const scenario of scenarios)
    for (const { key, ratio } of scenario.metrics) {
      if (!ratio) continue;
      for (const [kind, cell] of cells.get(scenario.id) ?? []) {
        if (cell.succeeded === 0) continue;
        const to = cells.get(ratio.to.scenario)?.get(kind);
        const reference = to && to.succeeded > 0 ? to.metrics[ratio.to.metric] : undefined;
        cell.metrics[key] = (cell.metrics[ratio.of] ?? Number.NaN) / (reference ?? Number.NaN);
      }
    }
}
