import { createHash } from 'node:crypto';

// Allocated on the first probe, after the memory figures are taken, so they hold none of it.
let hashed: Buffer | undefined;
let scaled: Float64Array | undefined;

/**
 * A fixed piece of work (hashing 4 MiB, four passes over another 4 MiB of doubles: about 8 ms
 * here) and how long it took, in ms. The same work takes the same time on the same CPU unless
 * the CPU itself is slowed: on a VM, the host lends it to other guests for spells of a minute
 * or more, which no process inside the VM can see in `/proc`, and a round measured in such a
 * spell says nothing about the server.
 */
export function cpuProbe(): number {
  hashed ??= Buffer.alloc(4 << 20, 7);
  scaled ??= new Float64Array(1 << 19);
  const started = performance.now();
  createHash('sha256').update(hashed).digest();
  for (let pass = 0; pass < 4; pass++)
    for (let i = 0; i < scaled.length; i++) scaled[i] = (scaled[i] as number) * 0.5 + i;
  return performance.now() - started;
}
