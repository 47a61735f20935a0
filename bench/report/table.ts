import { BASELINE, SERVER_LABELS, SERVER_ORDER } from '../config.js';
import type { MetricDefinition, Scenario } from '../scenarios/index.js';
import type { ServerKind } from '../shared/protocol.js';
import type { Cell, Cells } from './aggregate.js';
import type { TargetView } from './targets.js';

export interface TableInput {
  /** The scenarios to show, each with its parameters in one line. */
  readonly sections: readonly { readonly scenario: Scenario; readonly parameters: string }[];
  readonly servers: readonly ServerKind[];
  readonly cells: Cells;
  /** By `<scenario id>.<metric key>`. */
  readonly targets: ReadonlyMap<string, TargetView>;
}

/** The table as text cells, for a renderer to lay out. */
export interface Table {
  /** Implementation labels, in column order. */
  readonly columns: readonly string[];
  readonly sections: readonly TableSection[];
  /** Why some cells say n/a, one line each. */
  readonly notes: readonly string[];
}

export interface TableSection {
  readonly title: string;
  readonly parameters: string;
  readonly rows: readonly TableRow[];
}

export interface TableRow {
  readonly label: string;
  /** One per column. */
  readonly cells: readonly string[];
  readonly wants: string;
  readonly verdict: string;
}

/**
 * The figures side by side, each with its ratio to raw node:http, then the target and the
 * verdict for this library. A `*` marks a figure some of whose passes failed; `n/a` an
 * implementation the scenario cannot run on.
 */
export function buildTable(input: TableInput): Table {
  const servers = SERVER_ORDER.filter((kind) => input.servers.includes(kind));
  const notes = input.sections.flatMap(({ scenario }) =>
    servers.flatMap((kind) => {
      const reason = input.cells.get(scenario.id)?.get(kind)?.notApplicable;
      return reason === undefined ? [] : [`n/a for ${scenario.title}: ${reason}`];
    }),
  );
  return {
    columns: servers.map((kind) => SERVER_LABELS[kind]),
    notes,
    sections: input.sections.map(({ scenario, parameters }) => {
      const byServer = input.cells.get(scenario.id);
      return {
        title: scenario.title,
        parameters,
        rows: scenario.metrics.map((metric) => {
          const base = metric.ratio ? undefined : byServer?.get(BASELINE)?.metrics[metric.key];
          const target = input.targets.get(`${scenario.id}.${metric.key}`);
          return {
            label: metric.label,
            cells: servers.map((kind) => formatCell(metric, byServer?.get(kind), kind, base)),
            wants: target?.wants ?? '',
            verdict: target
              ? target.verdict +
                (target.reasons.length > 0 ? ` (${target.reasons.join('; ')})` : '')
              : '',
          };
        }),
      };
    }),
  };
}

function formatCell(
  metric: MetricDefinition,
  cell: Cell | undefined,
  kind: ServerKind,
  base: number | undefined,
): string {
  if (cell?.notApplicable !== undefined) return 'n/a';
  if (!cell || (cell.succeeded === 0 && cell.errors.length === 0)) return '-';
  if (cell.succeeded === 0) return 'FAILED';
  const figure = cell.metrics[metric.key];
  if (figure === undefined || !Number.isFinite(figure)) return '-';
  const ratio =
    kind === BASELINE || base === undefined || !Number.isFinite(base) || base === 0
      ? ''
      : ` (${(figure / base).toFixed(2)}x)`;
  return metric.format(figure) + ratio + (cell.errors.length > 0 ? '*' : '');
}

/** What every rendering of the table says under it. */
export function tableFootnote(passes: number): string {
  return (
    `Figures are medians over ${passes} pass(es); (x) = figure / raw node:http figure; * = some ` +
    'passes failed. A latency target of 1.25x is "0.8x of raw speed" as a time.'
  );
}

const LABEL_WIDTH = 22;
const CELL_WIDTH = 22;
const TARGET_WIDTH = 42;

/** The table for a terminal: fixed-width columns. */
export function renderTable(input: TableInput): string {
  const table = buildTable(input);
  const header =
    pad('', LABEL_WIDTH) +
    table.columns.map((label) => pad(label, CELL_WIDTH)).join('') +
    pad('target (this library)', TARGET_WIDTH) +
    'result';
  const lines = [header, '-'.repeat(header.length + 14)];
  for (const section of table.sections) {
    lines.push(`${section.title}: ${section.parameters}`);
    for (const row of section.rows)
      lines.push(
        pad(`  ${row.label}`, LABEL_WIDTH) +
          row.cells.map((cell) => pad(cell, CELL_WIDTH)).join('') +
          pad(row.wants, TARGET_WIDTH) +
          row.verdict,
      );
  }
  lines.push(...table.notes);
  return lines.join('\n');
}

function pad(text: string, width: number): string {
  return text.length >= width ? text + ' ' : text.padEnd(width);
}
