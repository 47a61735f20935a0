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
}

/** scenario id -> implementation -> cell. */
export type Cells = ReadonlyMap<string, ReadonlyMap<ServerKind, Cell>>;

export function aggregate(
  scenarios: readonly Scenario[],
  servers: readonly ServerKind[],
  records: readonly RunRecord[],
): Cells {
  const cells = new Map<string, Map<ServerKind, Cell>>();
  for (const scenario of scenarios) {
    const byServer = new Map<ServerKind, Cell>();
    for (const kind of servers) {
      const runs = records.filter((r) => r.kept && r.scenario === scenario.id && r.kind === kind);
      const ok = runs.flatMap((r) => (r.result ? [r.result] : []));
      const metrics: Record<string, number> = {};
      if (ok.length > 0)
        for (const { key } of scenario.metrics)
          metrics[key] = median(ok.map((r) => r.metrics[key] ?? Number.NaN));
      byServer.set(kind, {
        metrics,
        succeeded: ok.length,
        errors: runs.flatMap((r) => (r.error === undefined ? [] : [r.error])),
      });
    }
    cells.set(scenario.id, byServer);
  }
  return cells;
}
