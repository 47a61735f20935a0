/**
 * The ids of the last `capacity` events and the connection each arrived on, to drop events a
 * server replays after a reconnect. An id is a replay only if an *earlier* connection
 * delivered it: a server that repeats an id within one connection means it.
 *
 * Memory is bounded by `capacity` ids; the oldest is forgotten first (a Map keeps insertion
 * order, so eviction is O(1)).
 */
export class RecentIds {
  private readonly connectionOf = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.connectionOf.size;
  }

  /** Records `id` as seen on `connection`; true if an earlier connection already delivered it. */
  isReplay(id: string, connection: number): boolean {
    const seenOn = this.connectionOf.get(id);
    if (seenOn !== undefined && seenOn < connection) return true;
    // Re-inserting moves the id to the young end.
    this.connectionOf.delete(id);
    this.connectionOf.set(id, connection);
    if (this.connectionOf.size > this.capacity) {
      const oldest = this.connectionOf.keys().next();
      if (!oldest.done) this.connectionOf.delete(oldest.value);
    }
    return false;
  }
}
