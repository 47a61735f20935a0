import net from 'node:net';
import type { BroadcastService, ConnectionRegistry } from '../../lib/index.js';

/** A client that sends its request and then never reads a byte. */
export function stalledClient(url: string): Promise<net.Socket> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.off('error', reject);
      // The server resets it when it drops a slow consumer: expected, not a failure.
      socket.on('error', () => undefined);
      socket.write(`GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Fills the kernel's buffers for a stalled client of the hub fixture's `pair` route (several MiB
 * on loopback) through the `flood` channel only it joins, until the server itself holds bytes
 * for it. One event at a time, letting the socket flush in between, so the connection only ever
 * holds a few KiB of its own: far below any bound, whatever the policy. Distinct keys keep
 * conflation out of it.
 */
export async function backUp(
  broadcast: BroadcastService,
  registry: ConnectionRegistry,
  id: string,
): Promise<void> {
  for (let i = 0; (registry.get(id)?.bufferedBytes ?? 0) === 0; i++) {
    if (i > 5_000) throw new Error('the stalled client never backed up');
    if (registry.get(id)?.state !== 'open') throw new Error(`${id} closed while backing up`);
    await broadcast.publish(
      'flood',
      { event: 'flood', data: 'f'.repeat(4096) },
      { conflateKey: `flood-${i}` },
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
}
