import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * How much of the machine's CPU went to processes other than the benchmark's while a scenario
 * ran. The benchmark cannot stop other work on a shared machine, but it can say how much there
 * was, so a reader knows which figures to distrust. Linux only (/proc); elsewhere it reports
 * nothing.
 */
export class CpuMeter {
  private constructor(
    private readonly machineBusyMs: number,
    private readonly ownUsage: NodeJS.CpuUsage,
    private readonly startedAt: number,
  ) {}

  static start(): CpuMeter | undefined {
    const busy = machineBusyMs();
    return busy === undefined ? undefined : new CpuMeter(busy, process.cpuUsage(), Date.now());
  }

  /**
   * The share (0..1) of all cores' time since `start()` that went to other processes, given the
   * CPU time the benchmark's child processes used in that interval.
   */
  foreignShare(childrenCpuMs: number): number | undefined {
    const busy = machineBusyMs();
    if (busy === undefined) return undefined;
    const own = process.cpuUsage(this.ownUsage);
    const ownMs = (own.user + own.system) / 1000 + childrenCpuMs;
    const capacityMs = (Date.now() - this.startedAt) * cpus().length;
    if (capacityMs <= 0) return undefined;
    return Math.max(0, (busy - this.machineBusyMs - ownMs) / capacityMs);
  }
}

let ticksPerSecond: number | undefined;

function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticksPerSecond = Number.NaN;
    }
    // USER_HZ is 100 on every Linux this runs on; getconf only confirms it.
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/**
 * Time all cores spent on processes since boot: user, nice, system, and steal (the hypervisor
 * running someone else). Interrupt and softirq time are left out: on loopback they are mostly
 * this benchmark's own packets, which the kernel charges to no process, so counting them made a
 * quiet machine look 10-15% busy during connection storms.
 */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const [user, nice, system, , , , , steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const ticks = [user, nice, system, steal].reduce<number>((a, b) => a + (b ?? 0), 0);
    return (ticks * 1000) / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a live process has used, or 0 if it cannot be read. */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / clockTicksPerSecond() : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU use during one phase of a scenario (its measured rounds, say), as a share of one core:
 * 1 is one core busy for the whole phase; the machine's total is its number of cores.
 */
export interface PhaseCpu {
  readonly phase: string;
  /** Wall time of the phase's windows, added up. */
  readonly wallMs: number;
  /** By process name ("server", "client 1", "redis"), and "orchestrator" for this process. */
  readonly processes: Readonly<Record<string, number>>;
  /** Every other process on the machine; undefined where /proc/stat cannot be read. */
  readonly other: number | undefined;
}

interface Snapshot {
  readonly at: number;
  readonly machineMs: number | undefined;
  readonly ownMs: number;
  readonly byName: ReadonlyMap<string, number>;
}

interface Accumulated {
  wallMs: number;
  machineMs: number | undefined;
  readonly byName: Map<string, number>;
}

/**
 * Each process's CPU time over the windows a scenario measures in, by phase: whether the server
 * was busy all along (it is the bottleneck, as it should be), or the clients were, or something
 * else on the machine. Read from /proc/<pid>/stat around each window, so in 10 ms ticks: windows
 * are added up per phase, and a phase should span some hundreds of milliseconds.
 */
export class CpuPhases {
  private readonly phases = new Map<string, Accumulated>();

  constructor(
    private readonly processes: () => readonly { readonly name: string; readonly pid?: number }[],
  ) {}

  /** Runs `work` as one window of `phase`. */
  async measure<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const before = this.snapshot();
    try {
      return await work();
    } finally {
      this.add(phase, before, this.snapshot());
    }
  }

  results(): PhaseCpu[] {
    return [...this.phases].map(([phase, sum]) => {
      const processes: Record<string, number> = {};
      let ours = 0;
      for (const [name, ms] of sum.byName) {
        processes[name] = ms / sum.wallMs;
        ours += ms;
      }
      const other =
        sum.machineMs === undefined ? undefined : Math.max(0, sum.machineMs - ours) / sum.wallMs;
      return { phase, wallMs: sum.wallMs, processes, other };
    });
  }

  private snapshot(): Snapshot {
    const own = process.cpuUsage();
    const byName = new Map<string, number>();
    for (const { name, pid } of this.processes()) byName.set(name, processCpuMs(pid));
    return {
      at: performance.now(),
      machineMs: machineBusyMs(),
      ownMs: (own.user + own.system) / 1000,
      byName,
    };
  }

  private add(phase: string, before: Snapshot, after: Snapshot): void {
    let sum = this.phases.get(phase);
    if (!sum) {
      sum = { wallMs: 0, machineMs: 0, byName: new Map() };
      this.phases.set(phase, sum);
    }
    sum.wallMs += after.at - before.at;
    sum.machineMs =
      sum.machineMs === undefined || before.machineMs === undefined || after.machineMs === undefined
        ? undefined
        : sum.machineMs + (after.machineMs - before.machineMs);
    const deltas: [string, number][] = [...after.byName].map(([name, ms]) => [
      name,
      Math.max(0, ms - (before.byName.get(name) ?? ms)),
    ]);
    deltas.push(['orchestrator', after.ownMs - before.ownMs]);
    for (const [name, ms] of deltas) sum.byName.set(name, (sum.byName.get(name) ?? 0) + ms);
  }
}

/** "server 98%, client 1 21%, client 2 20%, orchestrator 1%, other 3%" (100% = one core). */
export function formatPhaseCpu(cpu: PhaseCpu): string {
  const percent = (share: number): string => `${(share * 100).toFixed(0)}%`;
  const parts = Object.entries(cpu.processes).map(([name, share]) => `${name} ${percent(share)}`);
  if (cpu.other !== undefined) parts.push(`other ${percent(cpu.other)}`);
  return `${cpu.phase} (${(cpu.wallMs / 1000).toFixed(1)} s): ${parts.join(', ')}`;
}
