import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly openFileLimit: number;
  readonly ephemeralPorts: string;
  readonly date: string;
}

export function describeMachine(): MachineInfo {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch} ${release()}`,
    openFileLimit: openFileLimit(),
    ephemeralPorts: ephemeralPortRange() ?? 'unknown',
    date: new Date().toISOString(),
  };
}

/**
 * This process's soft limit on open files, which the children inherit. Node has no API for it;
 * the shell's `ulimit` reads it.
 */
export function openFileLimit(): number {
  return ulimit('-n');
}

/** The hard limit on open files: as far as a process may raise its soft limit. */
export function hardOpenFileLimit(): number {
  return ulimit('-Hn');
}

function ulimit(flag: string): number {
  try {
    const out = execFileSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
  } catch {
    return Number.NaN;
  }
}

function ephemeralPortRange(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .replace(/\s+/, '-');
  } catch {
    return undefined;
  }
}

export function formatMachine(machine: MachineInfo): string {
  return (
    `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}; ` +
    `${machine.platform}; open files ${machine.openFileLimit}; ephemeral ports ` +
    `${machine.ephemeralPorts}; ${machine.date}`
  );
}
