import { randomBytes } from 'node:crypto';
import type {
  ConnectionFilter,
  SseClusterStats,
  SseConnectionInfo,
  SseLocalDelivery,
  SseLocalSnapshot,
} from '../backends/index.js';
import {
  encodeBusMessage,
  type ListAnswerMessage,
  type ListRequestMessage,
} from './bus-message.js';
import type { RedisClients, ScriptedRedis } from './redis-clients.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisMessages } from './redis.messages.js';

/** What the directory needs of the backend that holds it. */
export interface ClusterDirectoryHost {
  readonly commands: ScriptedRedis;
  readonly clients: RedisClients;
  readonly keys: RedisKeys;
  readonly instanceId: string;
  readonly delivery: SseLocalDelivery;
  readonly presenceIntervalMs: number;
  readonly listTimeoutMs: number;
}

/**
 * Which instances are alive and what they serve: each instance reports its connection counts
 * with a time-to-live (a crashed one drops out), answers list requests from the others on its
 * own channel, and gathers their answers for `clusterList()`.
 */
export class ClusterDirectory {
  /** Pending `list()` requests, each removed after `listTimeoutMs` at the latest. */
  private readonly lists = new Map<string, (infos: SseConnectionInfo[]) => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: ClusterDirectoryHost) {}

  /** Reports this instance now, then every `presenceIntervalMs`. */
  async start(): Promise<void> {
    await this.report();
    this.timer = setInterval(() => void this.report(), this.host.presenceIntervalMs).unref();
  }

  /**
   * Leaves at once rather than when the report expires; best effort if Redis is down (the
   * report then expires).
   */
  leave(): Promise<void> {
    clearInterval(this.timer);
    const { commands, keys, instanceId } = this.host;
    return commands
      .multi()
      .del(keys.presence(instanceId))
      .zrem(keys.instances, instanceId)
      .exec()
      .then(
        () => undefined,
        () => undefined,
      );
  }

  async stats(): Promise<SseClusterStats> {
    const { clients, commands, keys, delivery } = this.host;
    const others = await this.otherInstances();
    const reports =
      others.length === 0
        ? []
        : await clients.run(RedisMessages.clusterOperation('stats'), () =>
            commands.mget(...others.map((id) => keys.presence(id))),
          );
    const totals = { instances: 1, ...cloneSnapshot(delivery.snapshot()) };
    for (const report of reports) {
      if (report === null) continue;
      const snapshot = JSON.parse(report) as SseLocalSnapshot;
      totals.instances++;
      totals.connections += snapshot.connections;
      addCounts(totals.channels, snapshot.channels);
      addCounts(totals.users, snapshot.users);
    }
    return totals;
  }

  /** The connections of every live instance that match `filter`, this one's first. */
  async list(filter: ConnectionFilter): Promise<SseConnectionInfo[]> {
    const { clients, commands, keys, instanceId, delivery } = this.host;
    const local = delivery.list(filter);
    const others = await this.otherInstances();
    if (others.length === 0) return local;
    const request = randomBytes(8).toString('hex');
    const answers: SseConnectionInfo[][] = [];
    const complete = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.host.listTimeoutMs);
      this.lists.set(request, (infos) => {
        answers.push(infos);
        if (answers.length < others.length) return;
        clearTimeout(timer);
        resolve();
      });
    });
    const message = encodeBusMessage({ kind: 'list-request', request, origin: instanceId, filter });
    await clients.run(RedisMessages.clusterOperation('list'), () =>
      commands.publish(keys.bus, message),
    );
    await complete;
    this.lists.delete(request);
    return [...local, ...answers.flat().map(revive)];
  }

  /** Answers another instance's list request; best effort. */
  async answer({ origin, request, filter }: ListRequestMessage): Promise<void> {
    if (origin === this.host.instanceId) return;
    const { commands, keys, delivery } = this.host;
    const connections = delivery.list(filter);
    const message = encodeBusMessage({ kind: 'list-answer', request, connections });
    await commands.spublish(keys.instance(origin), message).catch(() => undefined);
  }

  /** An instance answered one of this instance's list requests. */
  answered({ request, connections }: ListAnswerMessage): void {
    this.lists.get(request)?.(connections);
  }

  private async otherInstances(): Promise<string[]> {
    const { clients, commands, keys, instanceId } = this.host;
    const live = await clients.run(RedisMessages.clusterOperation('query'), () =>
      commands.zrangebyscore(keys.instances, Date.now(), '+inf'),
    );
    return live.filter((id) => id !== instanceId);
  }

  private async report(): Promise<void> {
    const { commands, keys, instanceId, delivery, presenceIntervalMs } = this.host;
    const ttl = presenceIntervalMs * 3;
    await commands
      .multi()
      .set(keys.presence(instanceId), JSON.stringify(delivery.snapshot()), 'PX', ttl)
      .zadd(keys.instances, Date.now() + ttl, instanceId)
      .zremrangebyscore(keys.instances, '-inf', Date.now())
      .exec()
      .catch(() => undefined);
  }
}

function cloneSnapshot(snapshot: SseLocalSnapshot): {
  connections: number;
  channels: Record<string, number>;
  users: Record<string, number>;
} {
  return {
    connections: snapshot.connections,
    channels: { ...snapshot.channels },
    users: { ...snapshot.users },
  };
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
}

/** Connection infos crossed the bus as JSON: dates come back as strings. */
function revive(info: SseConnectionInfo): SseConnectionInfo {
  const raw = info as unknown as { connectedAt: string; lastEventAt?: string };
  return {
    ...info,
    connectedAt: new Date(raw.connectedAt),
    lastEventAt: raw.lastEventAt === undefined ? undefined : new Date(raw.lastEventAt),
  };
}
