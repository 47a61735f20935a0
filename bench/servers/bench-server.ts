/** One SSE implementation under test, listening on the loopback interface. */
export interface BenchServer {
  readonly port: number;
  /**
   * Publishes one event carrying `PAYLOAD` to every subscriber, through the implementation's own
   * publish API. Whatever a synchronous API allows happens before it returns; a returned promise
   * is awaited only after the whole burst, for its errors.
   */
  publish(): void | Promise<unknown>;
  /** Streams the implementation itself counts as subscribed. */
  subscribers(): number;
}

export type BenchServerFactory = () => Promise<BenchServer>;

/** Ids shaped like this library's (`<boot ms>-<sequence>`), so frames are the same size. */
export function idSequence(): () => string {
  const epoch = Date.now();
  let sequence = 0;
  return () => `${epoch}-${++sequence}`;
}

export function listeningPort(address: unknown): number {
  if (address === null || typeof address !== 'object' || !('port' in address))
    throw new Error(`server is not listening on a TCP port: ${String(address)}`);
  return (address as { port: number }).port;
}
