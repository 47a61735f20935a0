/**
 * `npm run bench [-- --quick]`: this library against NestJS @Sse(), better-sse and raw node:http,
 * side by side, on the same machine and settings. bench/README.md describes the method.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BASELINE,
  CAPACITY_NOTE,
  FULL_PARAMS,
  LIBRARY_KINDS,
  PAYLOAD_BYTES,
  QUICK_PARAMS,
  SERVER_LABELS,
  SERVER_NOTES,
  SERVER_ORDER,
  mostStreams,
  type BenchParams,
  type StreamLimit,
} from './config.js';
import { formatPhaseCpu } from './orchestrator/cpu-meter.js';
import { formatPlacement, isolatedServerPlacement } from './orchestrator/cpu-placement.js';
import { SpeedGate } from './orchestrator/speed-gate.js';
import { ProcessTracker } from './orchestrator/deployment.js';
import {
  describeMachine,
  formatMachine,
  hardOpenFileLimit,
  openFileLimit,
} from './orchestrator/machine.js';
import { describeRevision, formatRevision } from './orchestrator/revision.js';
import {
  measureCapacities,
  runMatrix,
  type CapacityRecord,
  type RunRecord,
} from './orchestrator/runner.js';
import { aggregate, type Cells } from './report/aggregate.js';
import { checkClientBound, checkKey, type ClientBoundCheck } from './report/client-bound.js';
import { renderMarkdown, updateReadme } from './report/markdown.js';
import { buildReport, readReport, type BenchReport } from './report/results.js';
import { capacityLine, placementLine, renderTable, tableFootnote } from './report/table.js';
import { evaluate, pastRaw, targetKey, TARGETS, type TargetOutcome } from './report/targets.js';
import { SCENARIOS, type Scenario } from './scenarios/index.js';
import { formatCount } from './scenarios/scenario.js';
import { max, median } from './shared/stats.js';
import { SERVER_KINDS, type ServerKind } from './shared/protocol.js';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const LATEST_FILE = RESULTS_DIR + 'latest.json';
const README_FILE = fileURLToPath(new URL('../../README.md', import.meta.url));
const PROFILES_DIR = fileURLToPath(new URL('../profiles/', import.meta.url));
/**
 * Descriptors a server process keeps for everything but its streams (stdio, IPC, epoll, libuv,
 * Redis connections, modules being read); a fresh one has a few dozen open.
 */
const FD_RESERVED = 1000;
/** The soft open-file limit the run raises itself to when the hard limit has none. */
const FD_WANTED = 65_535;
/**
 * Children's clocks are corrected by their measured offsets; an offset measured less precisely
 * than this makes the latency figures of that run suspect.
 */
const CLOCK_TOLERANCE_MS = 0.5;
/**
 * Streams to one server port: every client socket needs its own ephemeral port, and the
 * usual Linux range (32768-60999) has about 28,000.
 */
const MAX_CONNECTIONS = 25_000;
const MAX_MESSAGES = 10_000;

interface Options {
  readonly params: BenchParams;
  readonly scenarios: readonly Scenario[];
  readonly servers: readonly ServerKind[];
  /** Implementations whose server processes run under `--cpu-prof`. */
  readonly profile: readonly ServerKind[];
  /** Only an unfiltered full run may replace the committed results (and the README's table). */
  readonly resultsFile: string;
  /** `--readme`: no run, only the README's table rewritten from the committed results. */
  readonly readmeOnly: boolean;
}

const USAGE = `usage: npm run bench -- [--quick] [--scenarios=${SCENARIOS.map((s) => s.id).join(',')}]
         [--servers=${SERVER_KINDS.join(',')}] [--connections=N] [--messages=N]
         [--clients=N] [--passes=N] [--profile=KINDS] [--unpinned] [--readme]
  --quick        small parameters (CI); writes bench/results/quick.json
  --connections  N streams in the burst-size sweep, targeted and redis scenarios
  --messages     M events per measured round in those scenarios (1-${MAX_MESSAGES})
  --clients      client processes the streams are spread over (1-8)
  --passes       times each scenario runs on each server; figures are medians (1-20)
  --profile      CPU-profile the server processes of KINDS (e.g. library) into bench/profiles/
  --unpinned     leave every process to the scheduler; by default the server of a one-server
                 scenario runs alone on CPU 0 and its clients on the others (taskset)
  --readme       run nothing: rewrite README.md's benchmark table from bench/results/latest.json
  A full run with no option writes bench/results/latest.json and README.md's table; anything
  else writes partial.json.`;

function parseOptions(argv: readonly string[], streamLimit: StreamLimit): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      servers: { type: 'string' },
      connections: { type: 'string' },
      messages: { type: 'string' },
      clients: { type: 'string' },
      passes: { type: 'string' },
      readme: { type: 'boolean', default: false },
      unpinned: { type: 'boolean', default: false },
      profile: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const base = values.quick ? QUICK_PARAMS : FULL_PARAMS;
  const clients = integerOption(values.clients, base.clientProcesses, '--clients', 1, 8);
  const passes = integerOption(values.passes, base.passes, '--passes', 1, 20);
  // Each scenario keeps its own default for what is not given.
  const fanOut = <T extends { connections: number; messages: number }>(defaults: T): T => ({
    ...defaults,
    connections: integerOption(
      values.connections,
      defaults.connections,
      '--connections',
      1,
      streamLimit.streams,
    ),
    messages: integerOption(values.messages, defaults.messages, '--messages', 1, MAX_MESSAGES),
  });
  const scenarios = pick(values.scenarios, SCENARIOS, (s) => s.id, '--scenarios');
  const servers = pick(values.servers, SERVER_ORDER, (k) => k, '--servers');
  const profile =
    values.profile === undefined ? [] : pick(values.profile, SERVER_ORDER, (k) => k, '--profile');
  const customized = argv.some((arg) => arg !== '--quick');
  const file = values.quick ? 'quick.json' : customized ? 'partial.json' : 'latest.json';
  return {
    params: {
      ...base,
      clientProcesses: clients,
      passes,
      sweep: fanOut(base.sweep),
      targeted: fanOut(base.targeted),
      streamLimit,
      placement: values.unpinned ? undefined : isolatedServerPlacement(),
    },
    scenarios,
    servers,
    profile,
    resultsFile: RESULTS_DIR + file,
    readmeOnly: values.readme,
  };
}

function integerOption(
  text: string | undefined,
  fallback: number,
  flag: string,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${flag} must be an integer from ${min} to ${max}, got ${text}`);
  return value;
}

function pick<T>(
  list: string | undefined,
  all: readonly T[],
  name: (t: T) => string,
  flag: string,
): T[] {
  if (list === undefined) return [...all];
  const wanted = list.split(',').map((s) => s.trim());
  for (const w of wanted)
    if (!all.some((t) => name(t) === w)) throw new Error(`${flag}: unknown "${w}"`);
  return all.filter((t) => wanted.includes(name(t)));
}

/**
 * The open-file limit the run works with: the soft limit, raised to the hard one (`FD_WANTED` if
 * the hard one is unlimited) unless this process is already the re-run that tried to raise it.
 */
function workingOpenFileLimit(): number {
  const soft = openFileLimit();
  if (process.env.BENCH_FD_LIMIT_RAISED) return soft;
  return Math.max(soft, Math.min(hardOpenFileLimit(), FD_WANTED));
}

/**
 * The most streams one server process holds here, from the open-file limit, in whole thousands;
 * none when the limit cannot be read (the scale point that needs it then fails).
 */
function streamLimitOf(openFiles: number): StreamLimit {
  const byFiles = Math.floor((openFiles - FD_RESERVED) / 1000) * 1000;
  const streams = Number.isNaN(byFiles) ? 0 : Math.max(0, Math.min(MAX_CONNECTIONS, byFiles));
  return { openFiles, reserved: FD_RESERVED, streams };
}

/**
 * Child processes inherit the open-file limit, so if the soft limit is below the one the run can
 * have, the whole run starts again under a shell that raises it. Returns the exit code of that
 * run, or undefined to go on in this process.
 */
function rerunWithRaisedFdLimit(wanted: number): number | undefined {
  if (!(openFileLimit() < wanted) || process.env.BENCH_FD_LIMIT_RAISED) return undefined;
  console.log(`open-file limit ${openFileLimit()}: re-running under "ulimit -n ${wanted}"`);
  const script = `ulimit -n ${wanted} 2>/dev/null; exec "$0" "$@"`;
  const result = spawnSync(
    'sh',
    ['-c', script, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, BENCH_FD_LIMIT_RAISED: '1' } },
  );
  return result.status ?? 1;
}

function progressLine(record: RunRecord, scenario: Scenario, passes: number): string {
  const attempt = record.attempt > 1 ? ` (attempt ${record.attempt})` : '';
  const head = `[${record.pass + 1}/${passes}] ${scenario.title} / ${SERVER_LABELS[record.kind]}${attempt}`;
  const load =
    record.foreignCpu === undefined ? '' : `, other load ${(record.foreignCpu * 100).toFixed(0)}%`;
  const tail = `(${record.seconds.toFixed(1)} s${load})`;
  if (!record.result) return `${head}: FAILED: ${record.error} ${tail}`;
  const figures = scenario.metrics
    // Figures derived from other scenarios' exist only once all passes are aggregated.
    .filter((m) => !m.derived)
    .map((m) => `${m.label} ${m.format(record.result?.metrics[m.key] ?? Number.NaN)}`)
    .join(', ');
  return [`${head}: ${figures} ${tail}`, ...cpuLines(record.cpu)].join('\n');
}

/** Each process's CPU use per measured phase, 100% being one core. */
function cpuLines(phases: RunRecord['cpu']): string[] {
  return phases.map((phase) => `    cpu ${formatPhaseCpu(phase)}`);
}

/**
 * Every number of streams some deliveries/s figure of the run is measured on: the clients'
 * capacity is measured on each. The sweep's count is always in, so every run prints a capacity.
 */
function capacityStreams(scenarios: readonly Scenario[], params: BenchParams): number[] {
  const counts = scenarios.flatMap((s) =>
    s.metrics.flatMap(({ clientCheck: c }) => (c?.kind === 'capacity' ? [c.streams(params)] : [])),
  );
  return [...new Set([params.sweep.connections, ...counts])].sort((a, b) => a - b);
}

/** Every target, for every library server that ran (by `targetKey`). */
function evaluateTargets(
  scenarios: readonly Scenario[],
  servers: readonly ServerKind[],
  cells: Cells,
  checks: ReadonlyMap<string, ClientBoundCheck>,
): Map<string, TargetOutcome> {
  const outcomes = new Map<string, TargetOutcome>();
  const libraries = LIBRARY_KINDS.filter((kind) => servers.includes(kind));
  for (const target of TARGETS) {
    const scenario = scenarios.find((s) => s.id === target.scenario);
    const metric = scenario?.metrics.find((m) => m.key === target.metric);
    const byServer = cells.get(target.scenario);
    if (!metric || !byServer) continue;
    const values: Partial<Record<ServerKind, number>> = {};
    for (const [kind, cell] of byServer)
      if (cell.succeeded > 0) values[kind] = cell.metrics[metric.key];
    for (const library of libraries)
      outcomes.set(
        targetKey(library, target.scenario, target.metric),
        evaluate(
          target,
          metric.better,
          values,
          library,
          checks.get(checkKey(target.scenario, target.metric)),
        ),
      );
  }
  return outcomes;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const openFiles = workingOpenFileLimit();
  let options: Options;
  try {
    options = parseOptions(args, streamLimitOf(openFiles));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.readmeOnly) {
    await rewriteReadme(readReport(LATEST_FILE));
    return 0;
  }
  const rerun = rerunWithRaisedFdLimit(openFiles);
  if (rerun !== undefined) return rerun;

  const tracker = new ProcessTracker();
  process.once('exit', () => tracker.killAll());
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      tracker.killAll();
      process.exit(130);
    });

  const machine = describeMachine();
  const revision = describeRevision();
  printHeader(options, formatRevision(revision), formatMachine(machine));
  const { params } = options;
  const capacity = await measureCapacities(
    { params, tracker },
    capacityStreams(options.scenarios, params),
  );
  printCapacity(capacity);

  const speed = new SpeedGate(params.speedGate);
  const records = await runMatrix({
    speed,
    params,
    scenarios: options.scenarios,
    servers: options.servers,
    tracker,
    serverExecArgv: (kind) =>
      options.profile.includes(kind) ? ['--cpu-prof', `--cpu-prof-dir=${PROFILES_DIR}`] : [],
    onRecord: (record) => {
      const scenario = options.scenarios.find((s) => s.id === record.scenario);
      if (scenario) console.log(progressLine(record, scenario, params.passes));
    },
  });

  const cells = aggregate(options.scenarios, options.servers, records, params);
  const capacityByStreams = new Map(
    capacity.figures.map((f) => [f.streams, f.deliveriesPerSecond]),
  );
  const clientBound = checkClientBound(options.scenarios, cells, params, capacityByStreams);
  const targets = evaluateTargets(options.scenarios, options.servers, cells, clientBound);
  const kept = records.filter((r) => r.kept);
  const errors = [
    ...capacity.errors,
    ...kept.flatMap((r) =>
      r.error === undefined
        ? []
        : [`pass ${r.pass + 1}, ${r.scenario} / ${SERVER_LABELS[r.kind]}: ${r.error}`],
    ),
  ];
  const offsets = [...capacity.clockOffsets, ...records.flatMap((r) => r.clockOffsets)];
  const worstClock = offsets.reduce<(typeof offsets)[number] | undefined>(
    (worst, o) => (!worst || Math.abs(o.offsetMs) > Math.abs(worst.offsetMs) ? o : worst),
    undefined,
  );
  const warnings = [
    ...clockWarnings(offsets),
    ...busyWarnings(kept, params),
    ...suspectWarnings(options.scenarios, options.servers, cells),
  ];

  console.log('');
  console.log(
    renderTable({
      sections: options.scenarios.map((scenario) => ({
        scenario,
        parameters: scenario.describe(params),
      })),
      servers: options.servers,
      cells,
      targets,
      clientBound,
    }),
  );
  console.log('');
  console.log(tableFootnote(params.passes));
  console.log(capacityLine(capacity.figures));
  const speedGate = speed.summary();
  console.log(placementLine(params.placement, speedGate));
  if (worstClock)
    console.log(
      `Clocks of ${offsets.length} processes were up to ${Math.abs(worstClock.offsetMs).toFixed(3)} ` +
        `ms off (measured over IPC, ± ${max(offsets.map((o) => o.uncertaintyMs)).toFixed(3)} ms ` +
        'at most) and are corrected.',
    );
  const foreign = kept.flatMap((r) => (r.foreignCpu === undefined ? [] : [r.foreignCpu]));
  if (foreign.length > 0)
    console.log(
      `Other processes used ${(median(foreign) * 100).toFixed(1)}% of the CPU in the median ` +
        `counted run, ${(max(foreign) * 100).toFixed(1)}% at most; ` +
        `${records.length - kept.length} busier attempts were run again and not counted.`,
    );
  if (params.mode === 'quick')
    console.log('Quick run: parameters too small for the figures or verdicts to mean much.');
  for (const w of warnings) console.log(`warning: ${w}`);
  for (const e of errors) console.log(`error: ${e}`);

  const report = buildReport({
    params,
    command: ['npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' '),
    library: revision,
    machine,
    payloadBytes: PAYLOAD_BYTES,
    scenarios: options.scenarios,
    servers: options.servers,
    records,
    cells,
    targets,
    clock: { worst: worstClock, processes: offsets.length },
    capacity,
    clientBound,
    speedGate,
    warnings,
    errors,
  });
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(options.resultsFile, JSON.stringify(report, null, 2) + '\n');
  console.log(`Results written to ${options.resultsFile}`);
  if (options.resultsFile === LATEST_FILE) await rewriteReadme(report);
  // A missed target is a finding, not a failure: only errors fail the run (and CI).
  return errors.length > 0 ? 1 : 0;
}

function printHeader(options: Options, revision: string, machine: string): void {
  const { params } = options;
  const { openFiles, reserved, streams } = params.streamLimit;
  console.log(`nestjs-sse-channels benchmark (${params.mode} run, ${params.passes} passes)`);
  console.log(`library: ${revision}`);
  console.log(`machine: ${machine}`);
  console.log(
    `most streams per server process: ${formatCount(streams)} (open-file limit ` +
      `${formatCount(openFiles)}, less ${formatCount(reserved)} for the process's other ` +
      `descriptors); this run's scale points: ${formatCount(params.scale.streams)} and ` +
      `${formatCount(mostStreams(params))}`,
  );
  console.log(`one-server scenarios: ${formatPlacement(params.placement)}`);
  console.log(`payload ${PAYLOAD_BYTES} B; ${params.clientProcesses} client processes; servers:`);
  for (const kind of options.servers)
    console.log(`  ${SERVER_LABELS[kind]}: ${SERVER_NOTES[kind]}`);
  console.log(`  client-capacity reference: ${CAPACITY_NOTE}`);
  const unsupported = options.scenarios.flatMap((scenario) =>
    options.servers.flatMap((kind) => {
      const reason = scenario.unsupported?.[kind];
      return reason === undefined ? [] : [`  n/a for ${scenario.title}: ${reason}`];
    }),
  );
  for (const line of new Set(unsupported)) console.log(line);
  console.log('');
}

function printCapacity(capacity: CapacityRecord): void {
  console.log(capacityLine(capacity.figures));
  for (const line of cpuLines(capacity.cpu)) console.log(line);
  for (const error of capacity.errors) console.log(`error: ${error}`);
  console.log('');
}

function clockWarnings(offsets: readonly RunRecord['clockOffsets'][number][]): string[] {
  return offsets
    .filter((o) => !(o.uncertaintyMs <= CLOCK_TOLERANCE_MS))
    .map(
      (o) =>
        `${o.label}'s clock offset is known only to ± ${o.uncertaintyMs.toFixed(3)} ms: ` +
        'latency figures of its run are suspect',
    );
}

function busyWarnings(kept: readonly RunRecord[], params: BenchParams): string[] {
  const busyRuns = kept.filter((r) => (r.foreignCpu ?? 0) > params.busyThreshold);
  if (busyRuns.length === 0) return [];
  return [
    `${busyRuns.length} of ${kept.length} counted runs shared the machine with other processes ` +
      `using more than ${params.busyThreshold * 100}% of its CPU: ` +
      busyRuns.map((r) => `pass ${r.pass + 1} ${r.scenario} / ${r.kind}`).join(', '),
  ];
}

/**
 * Every figure of this library past raw node:http's, judged or not: raw node:http is the
 * reference, so a figure past it is to be explained before it is believed.
 */
function suspectWarnings(
  scenarios: readonly Scenario[],
  servers: readonly ServerKind[],
  cells: Cells,
): string[] {
  const libraries = LIBRARY_KINDS.filter((kind) => servers.includes(kind));
  return scenarios.flatMap((scenario) =>
    scenario.metrics.flatMap((metric) => {
      const byServer = cells.get(scenario.id);
      const raw = byServer?.get(BASELINE)?.metrics[metric.key];
      if (metric.vsRaw === false || raw === undefined) return [];
      return libraries.flatMap((library) => {
        const mine = byServer?.get(library)?.metrics[metric.key];
        if (mine === undefined || !pastRaw(mine, raw, metric.better)) return [];
        return [
          `${SERVER_LABELS[library]}, ${scenario.title}, ${metric.label}: ` +
            `${(mine / raw).toFixed(2)}x raw node:http; suspect the measurement first`,
        ];
      });
    }),
  );
}

async function rewriteReadme(report: BenchReport): Promise<void> {
  await updateReadme(README_FILE, renderMarkdown(report, SCENARIOS));
  console.log(`README.md's benchmark table rewritten from ${LATEST_FILE}`);
}

// Every child is bounded by its own lifetime; this bounds the orchestrator as well.
setTimeout(
  () => {
    console.error('benchmark exceeded its time limit; stopping');
    process.exit(1);
  },
  FULL_PARAMS.runTimeoutMs + 5 * 60_000,
).unref();

process.exitCode = await main().catch((error: unknown) => {
  console.error(error);
  return 1;
});
