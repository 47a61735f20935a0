/**
 * Every key and pub/sub channel the backend uses, under one prefix. Each channel has its own
 * keys and shard channel, and no key is written by every publish. A channel's keys and
 * shard channel share the hash tag `{<channel>}`, so they are in one hash slot, as a script
 * touching them needs on Redis Cluster; the instances' keys share the tag `{instances}`.
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  /** Stream holding a channel's history; its entries' fields are named in `stream-entry.ts`. */
  history(channel: string): string {
    return `${this.prefix}{${channel}}:h`;
  }

  /**
   * Shard channel (sharded pub/sub) of a channel's events and finish: only instances with a
   * local stream on the channel listen to it, and on Redis Cluster only the shard owning the
   * channel's keys carries it.
   */
  channelEvents(channel: string): string {
    return `${this.prefix}{${channel}}:ev`;
  }

  /** Present while a channel is finished (reconnects get 204). */
  finished(channel: string): string {
    return `${this.prefix}{${channel}}:fin`;
  }

  /** Classic pub/sub channel every instance listens to: user sends and list requests. */
  get bus(): string {
    return `${this.prefix}bus`;
  }

  /**
   * Shard channel of one instance: sends to its connections, answers to its queries. Sharded,
   * so a publish counts its receivers exactly on a cluster too.
   */
  instance(instanceId: string): string {
    return `${this.prefix}i:${instanceId}`;
  }

  /** What an instance last reported (connection counts), expiring unless refreshed. */
  presence(instanceId: string): string {
    return `${this.prefix}{instances}:${instanceId}`;
  }

  /** Live instances, scored by when their report expires. */
  get instances(): string {
    return `${this.prefix}{instances}`;
  }
}
