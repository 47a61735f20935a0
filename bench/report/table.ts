import { formatPlacement, type CpuPlacement } from '../orchestrator/cpu-placement.js';
import type { SpeedGateSummary } from '../orchestrator/speed-gate.js';
import {
  BASELINE,
  CAPACITY_BLOCK_FRAMES,
  LIBRARY_ADAPTERS,
  LIBRARY_KINDS,
  SERVER_LABELS,
  SERVER_ORDER,
} from '../config.js';
import type { CapacityFigure } from '../scenarios/client-capacity.js';
import type { MetricDefinition, Scenario } from '../scenarios/index.js';
import { formatCount } from '../scenarios/scenario.js';
import type { ServerKind } from '../shared/protocol.js';
import type { Cell, Cells } from './aggregate.js';
import {
  CLIENT_BOUND_SHARE,
  CLIENT_LAG_FLOOR_MS,
  CLIENT_LAG_SHARE,
  checkKey,
  type ClientBoundCheck,
} from './client-bound.js';
import { targetKey, type TargetView } from './targets.js';

export interface TableInput {
  /** The scenarios to show, each with its parameters in one line. */
  readonly sections: readonly { readonly scenario: Scenario; readonly parameters: string }[];
  readonly servers: readonly ServerKind[];
  readonly cells: Cells;
  /** By `targetKey()`. */
  readonly targets: ReadonlyMap<string, TargetView>;
  /** By `checkKey()`: a client-bound row says so even where no target judges it. */
  readonly clientBound: ReadonlyMap<string, ClientBoundCheck>;
}

/** The table as text cells, for a renderer to lay out. */
export interface Table {
  /** Implementation labels, in column order. */
  readonly columns: readonly string[];
  /** One verdict column per library server in the table: `result (Express)`... */
  readonly resultColumns: readonly string[];
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
  /** One per result column. */
  readonly verdicts: readonly string[];
}

/**
 * The figures side by side, each with its ratio to raw node:http, then the target and the
 * verdict for each library server (Express, Fastify). A `*` marks a figure some of whose passes
 * failed; `n/a` an implementation the scenario cannot run on.
 */
export function buildTable(input: TableInput): Table {
  const servers = SERVER_ORDER.filter((kind) => input.servers.includes(kind));
  const libraries = LIBRARY_KINDS.filter((kind) => servers.includes(kind));
  // Once each: @Sse() on both adapters has the same reason.
  const notes = new Set(
    input.sections.flatMap(({ scenario }) =>
      servers.flatMap((kind) => {
        const reason = input.cells.get(scenario.id)?.get(kind)?.notApplicable;
        return reason === undefined ? [] : [`n/a for ${scenario.title}: ${reason}`];
      }),
    ),
  );
  return {
    columns: servers.map((kind) => SERVER_LABELS[kind]),
    resultColumns: libraries.map((kind) => `result (${LIBRARY_ADAPTERS[kind]})`),
    notes: [...notes],
    sections: input.sections.map(({ scenario, parameters }) => {
      const byServer = input.cells.get(scenario.id);
      return {
        title: scenario.title,
        parameters,
        rows: scenario.metrics.map((metric) => {
          const base =
            metric.vsRaw === false ? undefined : byServer?.get(BASELINE)?.metrics[metric.key];
          const targets = libraries.map((kind) =>
            input.targets.get(targetKey(kind, scenario.id, metric.key)),
          );
          const check = input.clientBound.get(checkKey(scenario.id, metric.key));
          const unjudged = check?.clientBound ? `client-bound (${check.reason ?? ''})` : '';
          return {
            label: metric.label,
            cells: servers.map((kind) => formatCell(metric, byServer?.get(kind), kind, base)),
            wants: targets.find((target) => target !== undefined)?.wants ?? '',
            verdicts: targets.map((target) =>
              target
                ? target.verdict +
                  (target.reasons.length > 0 ? ` (${target.reasons.join('; ')})` : '')
                : unjudged,
            ),
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
    'passes failed. The library on each adapter is judged against NestJS @Sse() on the same ' +
    'adapter, better-sse and raw node:http; a bound on a time or a size is on the ratio of ' +
    `times or sizes. Client-bound rows get no PASS or FAIL: a deliveries/s row whose best server ` +
    `exceeds ${CLIENT_BOUND_SHARE * 100}% of the clients' capacity on as many streams, a ` +
    `last-client row whose best server's last client lagged its last write by more than ` +
    `${CLIENT_LAG_SHARE * 100}% of its time (and ${CLIENT_LAG_FLOOR_MS} ms), a row comparing ` +
    `what a Redis takes whose Redis was not busy (its load generators set it).`
  );
}

/** The client-capacity line every run prints, and the README shows. */
export function capacityLine(figures: readonly CapacityFigure[]): string {
  if (figures.length === 0) return 'Client capacity: not measured.';
  const each = figures.map(
    (f) =>
      `${formatCount(f.deliveriesPerSecond)} deliveries/s on ${formatCount(f.streams)} streams`,
  );
  const processes = new Set(figures.map((f) => f.clientProcesses));
  return (
    `Client capacity: ${each.join(', ')}, with ${[...processes].join(' or ')} client ` +
    `processes (a server writing pre-built frames, ${CAPACITY_BLOCK_FRAMES} per write, as fast as the sockets drain).`
  );
}

/** Where one-server scenarios ran, and how their rounds kept out of a slowed CPU. */
export function placementLine(
  placement: CpuPlacement | undefined,
  gate: SpeedGateSummary | undefined,
): string {
  const placed = `One-server scenarios: ${formatPlacement(placement)}.`;
  if (!gate) return placed;
  const fastest = Number.isFinite(gate.fastestMs) ? `${gate.fastestMs.toFixed(2)} ms` : 'none';
  return (
    `${placed} CPU speed gate (fastest probe ${fastest}): ${formatCount(gate.rounds)} rounds ` +
    `measured, ${formatCount(gate.countedSlowed)} of them started on a CPU still slowed; ` +
    `${(gate.waitedMs / 1000).toFixed(0)} s spent waiting for it.`
  );
}

const LABEL_WIDTH = 22;
const CELL_WIDTH = 20;
const TARGET_WIDTH = 42;
const RESULT_WIDTH = 34;

/**
 * The table for a terminal: fixed-width columns, headed on two lines so that a label such as
 * "nestjs-sse-channels (Express)" fits its column as name, then adapter.
 */
export function renderTable(input: TableInput): string {
  const table = buildTable(input);
  const headings = table.columns.map(headingLines);
  const results = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i < cells.length - 1 ? pad(cell, RESULT_WIDTH) : cell)).join('');
  const header = ([0, 1] as const).map(
    (line) =>
      pad('', LABEL_WIDTH) +
      headings.map((heading) => pad(heading[line], CELL_WIDTH)).join('') +
      pad(line === 0 ? 'target (this library)' : '', TARGET_WIDTH) +
      results(line === 0 ? table.resultColumns : []),
  );
  const width = Math.max(...header.map((line) => line.length));
  const lines = [...header, '-'.repeat(width)];
  for (const section of table.sections) {
    lines.push(`${section.title}: ${section.parameters}`);
    for (const row of section.rows)
      lines.push(
        pad(`  ${row.label}`, LABEL_WIDTH) +
          row.cells.map((cell) => pad(cell, CELL_WIDTH)).join('') +
          pad(row.wants, TARGET_WIDTH) +
          results(row.verdicts),
      );
  }
  lines.push(...table.notes);
  return lines.join('\n');
}

/** "name (adapter)" as two lines; any other label on the first. */
function headingLines(label: string): [string, string] {
  const open = label.indexOf(' (');
  return open === -1 ? [label, ''] : [label.slice(0, open), label.slice(open + 1)];
}

function pad(text: string, width: number): string {
  return text.length >= width ? text + ' ' : text.padEnd(width);
}
