import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * Which CPUs a scenario's processes run on, as `taskset -c` takes them. The server under test
 * gets a CPU of its own and its clients share the others; the orchestrator, at about 1% of a
 * core, is left to the scheduler. Left to the scheduler, three busy processes on two cores land
 * differently from run to run: in three passes each, one run after the other, a pinned library
 * read 672k-676k deliveries/s at 10 per tick, an unpinned one 595k-686k.
 */
/** util-linux's tool that sets which CPUs a process may run on. */
export const TASKSET = 'taskset';

export interface CpuPlacement {
  readonly server: string;
  readonly others: string;
}

/**
 * The placement this machine allows: undefined with fewer than 2 CPUs, or without `taskset`
 * (util-linux) to set it.
 */
export function isolatedServerPlacement(): CpuPlacement | undefined {
  const count = cpus().length;
  if (count < 2 || !tasksetWorks()) return undefined;
  return { server: '0', others: count === 2 ? '1' : `1-${count - 1}` };
}

export function formatPlacement(placement: CpuPlacement | undefined): string {
  return placement
    ? `server under test alone on CPU ${placement.server}, clients on CPU ${placement.others}`
    : 'processes placed by the scheduler';
}

function tasksetWorks(): boolean {
  try {
    execFileSync(TASKSET, ['--cpu-list', '--pid', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
