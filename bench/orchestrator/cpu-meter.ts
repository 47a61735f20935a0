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
function machineBusyMs(): number | undefined {
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
