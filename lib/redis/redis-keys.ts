/**
 * Every key and pub/sub channel the backend uses, under one prefix. The publish script also
 * increments one global sequence, so the backend needs a standalone Redis, not a Redis Cluster.
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  /** Stream holding a channel's history; its entries' fields are named in `stream-entry.ts`. */
  history(channel: string): string {
    return `${this.prefix}h:${channel}`;
  }

  /** Incremented by every publish: the order of events across channels. */
  get sequence(): string {
    return `${this.prefix}seq`;
  }

  /** Present while a channel is finished (reconnects get 204). */
  finished(channel: string): string {
    return `${this.prefix}fin:${channel}`;
  }

  /** Pub/sub channel every instance listens to: channel events, user sends, finishes, queries. */
  get bus(): string {
    return `${this.prefix}bus`;
  }

  /** Pub/sub channel of one instance: sends to its connections, answers to its queries. */
  instance(instanceId: string): string {
    return `${this.prefix}i:${instanceId}`;
  }

  /** What an instance last reported (connection counts), expiring unless refreshed. */
  presence(instanceId: string): string {
    return `${this.prefix}presence:${instanceId}`;
  }

  /** Live instances, scored by when their report expires. */
  get instances(): string {
    return `${this.prefix}instances`;
  }
}
