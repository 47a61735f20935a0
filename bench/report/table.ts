import { BASELINE, SERVER_LABELS, SERVER_ORDER } from '../config.js';
import type { Scenario } from '../scenarios/index.js';
import type { ServerKind } from '../shared/protocol.js';
import type { Cells } from './aggregate.js';
import type { TargetOutcome } from './targets.js';

export interface TableInput {
  readonly scenarios: readonly Scenario[];
  readonly describe: (scenario: Scenario) => string;
  readonly servers: readonly ServerKind[];
  readonly cells: Cells;
  /** By `<scenario id>.<metric key>`. */
  readonly targets: ReadonlyMap<string, TargetOutcome>;
}

const LABEL_WIDTH = 22;
const CELL_WIDTH = 22;
const TARGET_WIDTH = 42;

/**
 * The figures side by side, each with its ratio to raw node:http, then the target and the
 * verdict for this library. A `*` marks a figure some of whose passes failed.
 */
export function renderTable(input: TableInput): string {
  const servers = SERVER_ORDER.filter((kind) => input.servers.includes(kind));
  const header =
    pad('', LABEL_WIDTH) +
    servers.map((kind) => pad(SERVER_LABELS[kind], CELL_WIDTH)).join('') +
    pad('target (this library)', TARGET_WIDTH) +
    'result';
  const lines = [header, '-'.repeat(header.length + 14)];
  for (const scenario of input.scenarios) {
    const byServer = input.cells.get(scenario.id);
    lines.push(`${scenario.title}: ${input.describe(scenario)}`);
    for (const metric of scenario.metrics) {
      const base = byServer?.get(BASELINE)?.metrics[metric.key];
      const cells = servers.map((kind) => {
        const cell = byServer?.get(kind);
        if (!cell || (cell.succeeded === 0 && cell.errors.length === 0))
          return pad('-', CELL_WIDTH);
        if (cell.succeeded === 0) return pad('FAILED', CELL_WIDTH);
        const figure = cell.metrics[metric.key];
        if (figure === undefined || !Number.isFinite(figure)) return pad('-', CELL_WIDTH);
        const ratio =
          kind === BASELINE || base === undefined || !Number.isFinite(base) || base === 0
            ? ''
            : ` (${(figure / base).toFixed(2)}x)`;
        const partial = cell.errors.length > 0 ? '*' : '';
        return pad(metric.format(figure) + ratio + partial, CELL_WIDTH);
      });
      const target = input.targets.get(`${scenario.id}.${metric.key}`);
      const verdict = target
        ? target.verdict + (target.reasons.length > 0 ? ` (${target.reasons.join('; ')})` : '')
        : '';
      lines.push(
        pad(`  ${metric.label}`, LABEL_WIDTH) +
          cells.join('') +
          pad(target?.wants ?? '', TARGET_WIDTH) +
          verdict,
      );
    }
  }
  return lines.join('\n');
}

function pad(text: string, width: number): string {
  return text.length >= width ? text + ' ' : text.padEnd(width);
}
