import { readFileSync } from 'node:fs';
import { SERVER_LABELS, SERVER_NOTES, type BenchParams, type LibraryKind } from '../config.js';
import type { PhaseCpu } from '../orchestrator/cpu-meter.js';
import type { LabelledClockOffset } from '../orchestrator/deployment.js';
import type { MachineInfo } from '../orchestrator/machine.js';
import type { Revision } from '../orchestrator/revision.js';
import type { SpeedGateSummary } from '../orchestrator/speed-gate.js';
import type { CapacityRecord, RunRecord } from '../orchestrator/runner.js';
import type { CapacityFigure } from '../scenarios/client-capacity.js';
import type { Scenario } from '../scenarios/index.js';
import type { ServerKind } from '../shared/protocol.js';
import type { Cell, Cells } from './aggregate.js';
import { checkKey, type ClientBoundCheck } from './client-bound.js';
import { targetKey, type TargetOutcome, type TargetView } from './targets.js';

/**
 * A results file (`results/*.json`): everything a run printed, and every run's own figures.
 * Files written before a field existed lack it; readers only rely on what every version has.
 */
export interface BenchReport {
  readonly mode: BenchParams['mode'];
  readonly command: string;
  readonly library: Revision;
  readonly machine: MachineInfo;
  readonly params: BenchParams;
  readonly payloadBytes: number;
  readonly servers: Partial<Record<ServerKind, { readonly label: string; readonly setup: string }>>;
  readonly clock: { readonly worst: LabelledClockOffset | undefined; readonly processes: number };
  /** What the clients took from the client-capacity reference (files from before: none). */
  readonly clientCapacity?: {
    readonly figures: readonly CapacityFigure[];
    readonly cpu: readonly PhaseCpu[];
  };
  /** Every capacity-checked figure and whether it was client-bound. */
  readonly clientBound?: readonly ClientBoundCheck[];
  /** How measured rounds kept out of spells of a slowed CPU (files from before: none). */
  readonly speedGate?: SpeedGateSummary;
  readonly scenarios: readonly ScenarioReport[];
  readonly targets: readonly TargetReport[];
  readonly warnings: readonly string[];
  readonly errors: readonly string[];
}

export interface ScenarioReport {
  readonly id: string;
  readonly title: string;
  readonly parameters: string;
  readonly results: Partial<Record<ServerKind, ServerResults>>;
}

export interface ServerResults {
  /** Medians over the counted runs that succeeded; absent when none did. */
  readonly median?: Readonly<Record<string, number>>;
  readonly runs: readonly RunReport[];
  readonly notApplicable?: string;
}

export interface RunReport {
  readonly pass: number;
  readonly attempt: number;
  readonly counted: boolean;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly error?: string;
  readonly seconds: number;
  readonly foreignCpu?: number;
  /** Each process's CPU use while the scenario measured, by phase. */
  readonly cpu?: readonly PhaseCpu[];
}

export interface TargetReport extends TargetView {
  readonly scenario: string;
  readonly metric: string;
  /** The library server judged; absent in files from before Fastify ran (Express then). */
  readonly library?: LibraryKind;
}

export interface ReportInput {
  readonly params: BenchParams;
  readonly command: string;
  readonly library: Revision;
  readonly machine: MachineInfo;
  readonly payloadBytes: number;
  readonly scenarios: readonly Scenario[];
  readonly servers: readonly ServerKind[];
  readonly records: readonly RunRecord[];
  readonly cells: Cells;
  readonly targets: ReadonlyMap<string, TargetOutcome>;
  readonly clock: BenchReport['clock'];
  readonly capacity: CapacityRecord;
  readonly clientBound: ReadonlyMap<string, ClientBoundCheck>;
  readonly speedGate: SpeedGateSummary;
  readonly warnings: readonly string[];
  readonly errors: readonly string[];
}

export function buildReport(input: ReportInput): BenchReport {
  return {
    mode: input.params.mode,
    command: input.command,
    library: input.library,
    machine: input.machine,
    params: input.params,
    payloadBytes: input.payloadBytes,
    servers: Object.fromEntries(
      input.servers.map((kind) => [
        kind,
        { label: SERVER_LABELS[kind], setup: SERVER_NOTES[kind] },
      ]),
    ),
    clock: input.clock,
    clientCapacity: { figures: input.capacity.figures, cpu: input.capacity.cpu },
    clientBound: [...input.clientBound.values()],
    speedGate: input.speedGate,
    scenarios: input.scenarios.map((s) => ({
      id: s.id,
      title: s.title,
      parameters: s.describe(input.params),
      results: Object.fromEntries(
        input.servers.map((kind): [ServerKind, ServerResults] => {
          const cell = input.cells.get(s.id)?.get(kind);
          const runs = input.records
            .filter((r) => r.scenario === s.id && r.kind === kind)
            .map(({ pass, attempt, kept, result, error, seconds, foreignCpu, cpu }) => ({
              pass: pass + 1,
              attempt,
              counted: kept,
              ...(result ?? { error }),
              seconds,
              foreignCpu,
              cpu,
            }));
          const median = cell && cell.succeeded > 0 ? cell.metrics : undefined;
          return [kind, { median, runs, notApplicable: cell?.notApplicable }];
        }),
      ),
    })),
    targets: [...input.targets.values()].map((t) => ({
      scenario: t.target.scenario,
      metric: t.target.metric,
      library: t.library,
      wants: t.wants,
      verdict: t.verdict,
      reasons: t.reasons,
    })),
    warnings: input.warnings,
    errors: input.errors,
  };
}

export function readReport(file: string): BenchReport {
  return JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
}

/** The cells a report was printed from, rebuilt from its runs. */
export function reportCells(report: BenchReport): Cells {
  return new Map(
    report.scenarios.map((scenario) => [
      scenario.id,
      new Map(
        Object.entries(scenario.results).map(([kind, results]): [ServerKind, Cell] => {
          const counted = results.runs.filter((run) => run.counted);
          return [
            kind as ServerKind,
            {
              metrics: results.median ?? {},
              succeeded: counted.filter((run) => run.error === undefined).length,
              errors: counted.flatMap((run) => (run.error === undefined ? [] : [run.error])),
              notApplicable: results.notApplicable,
            },
          ];
        }),
      ),
    ]),
  );
}

/** The verdicts of a report, by `targetKey`. */
export function reportTargets(report: BenchReport): Map<string, TargetView> {
  return new Map(
    report.targets.map((t) => [targetKey(t.library ?? 'library', t.scenario, t.metric), t]),
  );
}

/** The client-bound checks of a report, by `checkKey`; none in files from before them. */
export function reportClientBound(report: BenchReport): Map<string, ClientBoundCheck> {
  return new Map((report.clientBound ?? []).map((c) => [checkKey(c.scenario, c.metric), c]));
}
