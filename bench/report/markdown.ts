import { readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { SERVER_ORDER } from '../config.js';
import { formatMachine } from '../orchestrator/machine.js';
import { formatRevision, libraryChangedSince } from '../orchestrator/revision.js';
import type { Scenario } from '../scenarios/index.js';
import { median } from '../shared/stats.js';
import { reportCells, reportClientBound, reportTargets, type BenchReport } from './results.js';
import { buildTable, capacityLine, placementLine, tableFootnote } from './table.js';

export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

/**
 * The README's benchmark block, from a results file alone, so the README shows exactly what
 * the committed JSON holds. Scenarios the file has no results for are left out; a file from
 * before a scenario existed renders without it.
 */
export function renderMarkdown(report: BenchReport, scenarios: readonly Scenario[]): string {
  const sections = report.scenarios.flatMap((result) => {
    const scenario = scenarios.find((s) => s.id === result.id);
    return scenario ? [{ scenario, parameters: result.parameters }] : [];
  });
  const servers = SERVER_ORDER.filter((kind) => report.servers[kind] !== undefined);
  const table = buildTable({
    sections,
    servers,
    cells: reportCells(report),
    targets: reportTargets(report),
    clientBound: reportClientBound(report),
  });
  const width = 1 + table.columns.length + 1 + table.resultColumns.length;
  const row = (cells: readonly string[]): string =>
    `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  const lines = [
    `<!-- Written by \`npm run bench\` (a full run) or \`npm run bench -- --readme\` from ` +
      'bench/results/latest.json: edit those, not this block. -->',
    '',
    ...provenance(report),
    '',
    capacityLine(report.clientCapacity?.figures ?? []),
    '',
    placementLine(report.params.placement, report.speedGate),
    '',
    row(['', ...table.columns, 'target (this library)', ...table.resultColumns]),
    row(Array.from({ length: width }, () => '---')),
  ];
  for (const section of table.sections) {
    lines.push(row([`**${section.title}**`, ...Array.from({ length: width - 1 }, () => '')]));
    for (const r of section.rows) lines.push(row([r.label, ...r.cells, r.wants, ...r.verdicts]));
  }
  lines.push('', tableFootnote(report.params.passes) + foreignLoad(report), '');
  for (const { scenario, parameters } of sections) lines.push(`- ${scenario.title}: ${parameters}`);
  for (const note of table.notes) lines.push(`- ${note}`);
  return lines.join('\n');
}

function provenance(report: BenchReport): string[] {
  const lines = [
    `${report.mode === 'full' ? 'Full' : 'Partial'} run (\`${report.command}\`) of ` +
      `${formatRevision(report.library)}; ${formatMachine(report.machine)}.`,
  ];
  const commit = report.library.commit;
  const changed = commit === undefined ? undefined : libraryChangedSince(commit);
  if (changed !== false)
    lines.push(
      '',
      changed
        ? `**These figures are stale:** lib/ has changed since ${commit}, which they measured; ` +
            'they stand until the next full run.'
        : '**These figures may be stale:** git cannot say whether lib/ has changed since ' +
            'the commit they measured.',
    );
  return lines;
}

function foreignLoad(report: BenchReport): string {
  const shares = report.scenarios.flatMap((s) =>
    Object.values(s.results).flatMap((r) =>
      r.runs.flatMap((run) =>
        run.counted && run.foreignCpu !== undefined ? [run.foreignCpu] : [],
      ),
    ),
  );
  if (shares.length === 0) return '';
  return ` Other processes used ${(median(shares) * 100).toFixed(1)}% of the CPU in the median counted run.`;
}

/** Replaces the README's block between the markers, formatted as `prettier --check` wants. */
export async function updateReadme(readmePath: string, block: string): Promise<void> {
  const text = readFileSync(readmePath, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start === -1 || end < start)
    throw new Error(`${readmePath} has no ${README_START} ... ${README_END} block to rewrite`);
  const next = text.slice(0, start + README_START.length) + '\n' + block + '\n' + text.slice(end);
  const options = (await resolveConfig(readmePath)) ?? {};
  writeFileSync(readmePath, await format(next, { ...options, filepath: readmePath }));
}
