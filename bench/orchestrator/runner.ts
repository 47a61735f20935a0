import type { BenchParams } from '../config.js';
import { measureClientCapacity, type CapacityFigure } from '../scenarios/client-capacity.js';
import type { Scenario, ScenarioResult } from '../scenarios/index.js';
import type { ServerKind } from '../shared/protocol.js';
import { CpuMeter, type PhaseCpu } from './cpu-meter.js';
import type { CpuPlacement } from './cpu-placement.js';
import type { SpeedGate } from './speed-gate.js';
import { Deployment, type LabelledClockOffset, type ProcessTracker } from './deployment.js';

/** One scenario, on one implementation, in one pass. */
export interface RunRecord {
  readonly scenario: string;
  readonly kind: ServerKind;
  readonly pass: number;
  /** 1 for the first attempt; more when a busy machine made the runner try again. */
  readonly attempt: number;
  /** Whether this attempt is the one that counts for its pass. */
  kept: boolean;
  readonly result?: ScenarioResult;
  readonly error?: string;
  readonly seconds: number;
  /** Share of the machine's CPU other processes used meanwhile (see `CpuMeter`). */
  readonly foreignCpu?: number;
  /** Each process's CPU use while the scenario measured, by phase. */
  readonly cpu: readonly PhaseCpu[];
  readonly clockOffsets: readonly LabelledClockOffset[];
}

export interface RunnerOptions {
  readonly params: BenchParams;
  readonly scenarios: readonly Scenario[];
  readonly servers: readonly ServerKind[];
  readonly tracker: ProcessTracker;
  readonly serverExecArgv: (kind: ServerKind) => readonly string[];
  /** The run's gate against spells of a slowed CPU, shared by every scenario. */
  readonly speed: SpeedGate;
  /** Called after each run, for progress output. */
  readonly onRecord: (record: RunRecord) => void;
}

/**
 * Runs every scenario on every implementation, `passes` times. Within a pass the
 * implementations take turns in an order rotated by one each pass, so none is always first
 * after a quiet or busy spell. Each run has fresh processes and its own time limit; the whole
 * matrix stops starting new runs when the run's time is up.
 */
export async function runMatrix(options: RunnerOptions): Promise<RunRecord[]> {
  const { params } = options;
  const deadline = Date.now() + params.runTimeoutMs;
  const records: RunRecord[] = [];
  for (let pass = 0; pass < params.passes; pass++) {
    for (const scenario of options.scenarios) {
      // An implementation the scenario cannot run on gets no runs: the report says why.
      const order = rotate(options.servers, pass).filter((kind) => !scenario.unsupported?.[kind]);
      for (const kind of order) {
        const attempts: RunRecord[] = [];
        for (let attempt = 1; attempt <= 1 + params.retriesWhenBusy; attempt++) {
          const remaining = deadline - Date.now();
          const record =
            remaining > 0
              ? await runOnce(scenario, kind, pass, attempt, options, {
                  timeoutMs: Math.min(params.scenarioTimeoutMs, remaining),
                })
              : notRun(scenario, kind, pass, attempt, params.runTimeoutMs);
          attempts.push(record);
          options.onRecord(record);
          if (!record.result || (record.foreignCpu ?? 0) <= params.busyThreshold) break;
        }
        keepBest(attempts);
        records.push(...attempts);
      }
    }
  }
  return records;
}

/** The attempt that counts: a failure if the last one failed, else the least disturbed. */
function keepBest(attempts: RunRecord[]): void {
  const last = attempts.at(-1);
  const best = !last?.result
    ? last
    : attempts
        .filter((a) => a.result)
        .reduce((a, b) => ((b.foreignCpu ?? 0) < (a.foreignCpu ?? 0) ? b : a));
  if (best) best.kept = true;
}

/** What the clients can take on each of `streams`, measured once at the start of a run. */
export interface CapacityRecord {
  readonly figures: readonly CapacityFigure[];
  readonly cpu: readonly PhaseCpu[];
  readonly errors: readonly string[];
  readonly clockOffsets: readonly LabelledClockOffset[];
}

/**
 * The clients' capacity on each number of streams some figure of the run is measured on (see
 * `client-capacity.ts`), each in fresh processes of its own, before any server runs.
 */
export async function measureCapacities(
  options: Pick<RunnerOptions, 'params' | 'tracker'>,
  streams: readonly number[],
): Promise<CapacityRecord> {
  const figures: CapacityFigure[] = [];
  const cpu: PhaseCpu[] = [];
  const errors: string[] = [];
  const clockOffsets: LabelledClockOffset[] = [];
  for (const count of streams) {
    // Placed as the scenarios it judges are: the clients' capacity on the CPUs they get there.
    const placed = {
      tracker: options.tracker,
      serverExecArgv: [],
      placement: options.params.placement,
    };
    const outcome = await bounded(placed, options.params.scenarioTimeoutMs, (deployment) =>
      measureClientCapacity(deployment, options.params, count),
    );
    if (outcome.result) figures.push(outcome.result);
    else errors.push(`client capacity on ${count} streams: ${outcome.error}`);
    cpu.push(...outcome.cpu);
    clockOffsets.push(...outcome.clockOffsets);
  }
  return { figures, cpu, errors, clockOffsets };
}

async function runOnce(
  scenario: Scenario,
  kind: ServerKind,
  pass: number,
  attempt: number,
  options: RunnerOptions,
  { timeoutMs }: { timeoutMs: number },
): Promise<RunRecord> {
  const started = Date.now();
  const placed = {
    tracker: options.tracker,
    serverExecArgv: options.serverExecArgv(kind),
    placement: scenario.isolatesServer ? options.params.placement : undefined,
  };
  const outcome = await bounded(placed, timeoutMs, (deployment) =>
    scenario.run({ deployment, spec: { kind }, params: options.params, speed: options.speed }),
  );
  return {
    scenario: scenario.id,
    kind,
    pass,
    attempt,
    kept: false,
    ...(outcome.result ? { result: outcome.result } : { error: outcome.error }),
    seconds: (Date.now() - started) / 1000,
    foreignCpu: outcome.foreignCpu,
    cpu: outcome.cpu,
    clockOffsets: outcome.clockOffsets,
  };
}

interface Bounded<T> {
  readonly result?: T;
  readonly error?: string;
  readonly foreignCpu?: number;
  readonly cpu: readonly PhaseCpu[];
  readonly clockOffsets: readonly LabelledClockOffset[];
}

/** How a deployment's processes start: who tracks them, their Node flags, their CPUs. */
interface Placed {
  readonly tracker: ProcessTracker;
  readonly serverExecArgv: readonly string[];
  readonly placement: CpuPlacement | undefined;
}

/** Runs `work` in a fresh deployment, within `timeoutMs`, and stops all of its processes. */
async function bounded<T>(
  { tracker, serverExecArgv, placement }: Placed,
  timeoutMs: number,
  work: (deployment: Deployment) => Promise<T>,
): Promise<Bounded<T>> {
  const meter = CpuMeter.start();
  const deployment = new Deployment({
    tracker,
    lifetimeMs: timeoutMs + 30_000,
    callTimeoutMs: timeoutMs,
    serverExecArgv,
    placement,
  });
  const running = work(deployment);
  // A timed-out scenario's calls fail once its processes are stopped; nobody waits for them.
  running.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  let result: T | undefined;
  let error: string | undefined;
  let foreignCpu: number | undefined;
  try {
    result = await Promise.race([running, timeout]);
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  } finally {
    clearTimeout(timer);
    // Measured before teardown: the CPU that exiting processes spend closing thousands of
    // sockets would otherwise count as other load.
    foreignCpu = meter?.foreignShare(deployment.cpuTimeMs());
    await deployment.teardown();
  }
  return {
    ...(result === undefined ? { error } : { result }),
    foreignCpu,
    cpu: deployment.cpu.results(),
    clockOffsets: deployment.clockOffsets,
  };
}

function notRun(
  scenario: Scenario,
  kind: ServerKind,
  pass: number,
  attempt: number,
  runTimeoutMs: number,
): RunRecord {
  return {
    scenario: scenario.id,
    kind,
    pass,
    attempt,
    kept: false,
    error: `not run: the run's ${runTimeoutMs} ms were used up`,
    seconds: 0,
    cpu: [],
    clockOffsets: [],
  };
}

function rotate<T>(list: readonly T[], by: number): T[] {
  const shift = list.length === 0 ? 0 : by % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}
