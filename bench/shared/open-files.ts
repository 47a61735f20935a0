import { readdirSync } from 'node:fs';

/**
 * Descriptors this process has open, from `/proc/self/fd` (Linux): what the open-file limit
 * counts. NaN where it cannot be read.
 */
export function openFiles(): number {
  try {
    // The listing itself holds one descriptor on the directory while it reads.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return Number.NaN;
  }
}
