import { describe, expect, it } from '@jest/globals';
import type { SseClusterStats, SseConnectionInfo, SseHistoryEntry } from '../lib/index.js';
import type { Instance } from './support/instances.js';
import { keySlot } from '../lib/redis/key-slot.js';
import { redisSuite } from './support/redis-suite.js';
import { TOPOLOGIES } from './support/redis-target.js';
import { openRawStream, type RawStream } from './support/sse-clients.js';
import { waitUntil } from './support/wait.js';

const datas = (stream: RawStream) => stream.events.map((e) => e.data);

describe.each(TOPOLOGIES)(
  'Redis backend across app instances in separate processes (%s)',
  (topology) => {
    const suite = redisSuite({ topology });
    const { open, publish } = suite;

    const start = (count: number, env: Record<string, string> = {}) =>
      suite.startInstances(
        Array.from({ length: count }, (_, i) => ({
          ADAPTER: i % 2 ? 'fastify' : 'express',
          ...env,
        })),
      );

    it('delivers a publish on one instance to subscribers on every instance, with one id', async () => {
      const [a, b, c] = await start(3);
      const onA = await open(a as Instance, '/hub/rooms/1');
      const onB = await open(b as Instance, '/hub/rooms/1');
      const onC = await open(c as Instance, '/hub/rooms/1');
      const { id } = await publish(a as Instance, 'rooms/1', {
        event: 'message',
        data: { text: 'hi' },
      });
      for (const stream of [onA, onB, onC]) {
        const [event] = await stream.waitFor((events) => events.length === 1);
        expect(event).toEqual({ event: 'message', id, data: '{"text":"hi"}' });
      }
    });

    it('listens only to the channels it has local streams on, from the first stream to the last', async () => {
      const [a, b] = await start(2);
      // How many connections Redis sends a channel's events to: one per instance listening.
      const listeners = (channel: string) => {
        const shardChannel = `sse:{${channel}}:ev`;
        const answer = suite.target.cliOn(shardChannel, 'PUBSUB', 'SHARDNUMSUB', shardChannel);
        return Number(answer.trim().split('\n')[1]);
      };
      expect(listeners('rooms/x')).toBe(0);
      const first = await open(b as Instance, '/hub/rooms/x');
      const second = await open(b as Instance, '/hub/rooms/x');
      expect(listeners('rooms/x')).toBe(1);
      expect(listeners('rooms/y')).toBe(0);
      // a has no stream on rooms/x: it publishes without listening, and learns at once that no
      // stream of its own took the event (not after waiting 5 s for an echo).
      const started = Date.now();
      expect((await publish(a as Instance, 'rooms/x', { data: 'one' })).delivered).toBe(0);
      expect(Date.now() - started).toBeLessThan(1_000);
      await first.waitFor((events) => events.length === 1);
      await second.waitFor((events) => events.length === 1);
      // b publishing counts its own streams, whose events come back to it.
      expect((await publish(b as Instance, 'rooms/x', { data: 'two' })).delivered).toBe(2);
      first.close();
      await second.waitFor((events) => events.length === 2);
      expect(listeners('rooms/x')).toBe(1);
      second.close();
      await waitUntil(
        () => listeners('rooms/x') === 0,
        () => `still ${listeners('rooms/x')} listener(s) after the last stream left`,
      );
      // And again, from no listener: the next first stream subscribes anew.
      const again = await open(b as Instance, '/hub/rooms/x');
      expect(listeners('rooms/x')).toBe(1);
      await publish(a as Instance, 'rooms/x', { data: 'three' });
      await again.waitFor((events) => events.length === 1);
      expect(datas(again)).toEqual(['three']);
    });

    it('orders ids cluster-wide: publishes from two instances arrive everywhere in one order', async () => {
      const [a, b] = await start(2);
      const onA = await open(a as Instance, '/hub/rooms/order');
      const onB = await open(b as Instance, '/hub/rooms/order');
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          publish((i % 2 ? a : b) as Instance, 'rooms/order', { data: String(i) }),
        ),
      );
      await onA.waitFor((events) => events.length === 60);
      await onB.waitFor((events) => events.length === 60);
      expect(onA.events).toEqual(onB.events);
      const ids = onA.events.map((e) => e.id as string);
      const sorted = [...ids].sort((x, y) => {
        const [xm, xs] = x.split('-').map(Number) as [number, number];
        const [ym, ys] = y.split('-').map(Number) as [number, number];
        return xm - ym || xs - ys;
      });
      expect(ids).toEqual(sorted);
    });

    it('sends to one connection on another instance, and to every connection of a user', async () => {
      const [a, b] = await start(2);
      const greeted = await open(b as Instance, '/hub/greet/9');
      const [welcome] = await greeted.waitFor((events) => events.length === 1);
      const connectionId = JSON.parse(welcome?.data ?? '{}').connectionId as string;
      const sent = await (a as Instance).post('/control/send-to', {
        connectionId,
        event: { event: 'dm', data: 'psst' },
      });
      expect(sent.body).toEqual({ delivered: 1 });
      await greeted.waitFor((events) => events.length === 2);
      expect(greeted.events[1]).toEqual({ event: 'dm', data: 'psst', id: undefined });

      const adaOnA = await open(a as Instance, '/hub/inbox', { 'x-user': 'ada' });
      const adaOnB = await open(b as Instance, '/hub/inbox', { 'x-user': 'ada' });
      const bobOnB = await open(b as Instance, '/hub/inbox', { 'x-user': 'bob' });
      await (a as Instance).post('/control/send-to-user', {
        userId: 'ada',
        event: { data: 'for ada' },
      });
      await adaOnA.waitFor((events) => events.length === 1);
      await adaOnB.waitFor((events) => events.length === 1);
      expect(datas(adaOnB)).toEqual(['for ada']);
      expect(bobOnB.events).toEqual([]);
    });

    it('replays on a different instance than the one the client left, with no gap and no duplicate', async () => {
      const [a, b] = await start(2);
      const first = await open(a as Instance, '/hub/rooms/move');
      await publish(b as Instance, 'rooms/move', { data: 'one' });
      await first.waitFor((events) => events.length === 1);
      first.close();
      await publish(a as Instance, 'rooms/move', { data: 'two' });
      await publish(b as Instance, 'rooms/move', { data: 'three' });
      const moved = await open(b as Instance, '/hub/rooms/move', {
        'last-event-id': first.events[0]?.id as string,
      });
      await moved.waitFor((events) => events.length === 2);
      await publish(a as Instance, 'rooms/move', { data: 'four' });
      await moved.waitFor((events) => events.length === 3);
      expect(datas(moved)).toEqual(['two', 'three', 'four']);
    });

    it('keeps every event exactly once while a client hops between instances during 2,000 publishes', async () => {
      const [a, b] = await start(2);
      const TOTAL = 2_000;
      const received: string[] = [];
      let stream = await open(a as Instance, '/hub/rooms/hop');
      let hops = 0;
      const client = (async () => {
        for (;;) {
          await stream.waitFor(
            (events) => events.length >= 150 || received.length + events.length >= TOTAL,
            20_000,
          );
          stream.close();
          received.push(...datas(stream));
          if (received.length >= TOTAL) return;
          hops++;
          const next = (hops % 2 ? b : a) as Instance;
          stream = await open(next, '/hub/rooms/hop', {
            'last-event-id': stream.events.at(-1)?.id as string,
          });
        }
      })();
      for (let i = 0; i < TOTAL; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, j) => i + j).map((n) =>
            publish((n % 2 ? a : b) as Instance, 'rooms/hop', { data: String(n) }),
          ),
        );
      }
      await client;
      expect(hops).toBeGreaterThanOrEqual(10);
      expect(received).toHaveLength(TOTAL);
      expect(new Set(received).size).toBe(TOTAL);
      // Concurrent publishes from two instances may interleave, but every client sees Redis's order.
      expect(received).toEqual(await historyData(a as Instance, 'rooms/hop', TOTAL));
    });

    it('reports cluster-wide counts, lists connections of every instance, and forgets a crashed one', async () => {
      const [a, b, c] = await start(3, { PRESENCE_MS: '500' });
      await open(a as Instance, '/hub/rooms/count', { 'x-user': 'ada' });
      await open(b as Instance, '/hub/rooms/count', { 'x-user': 'ada' });
      await open(c as Instance, '/hub/rooms/count', { 'x-user': 'bob' });
      await open(c as Instance, '/hub/rooms/other');
      const stats = async () =>
        (await (a as Instance).get<SseClusterStats>('/control/cluster-stats')).body;
      let current = await stats();
      for (let i = 0; i < 50 && current.connections < 4; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        current = await stats();
      }
      expect(current).toMatchObject({
        instances: 3,
        connections: 4,
        channels: { 'rooms/count': 3, 'rooms/other': 1 },
        users: { ada: 2, bob: 1 },
      });
      const listed = (
        await (a as Instance).get<SseConnectionInfo[]>('/control/cluster-list?channel=rooms/count')
      ).body;
      expect(listed).toHaveLength(3);
      expect(new Set(listed.map((info) => info.instance)).size).toBe(3);

      await (c as Instance).crash();
      // The crashed instance's report expires (3 x 500 ms) and its connections drop out.
      for (let i = 0; i < 40 && current.instances > 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        current = await stats();
      }
      expect(current).toMatchObject({
        instances: 2,
        connections: 2,
        channels: { 'rooms/count': 2 },
        users: { ada: 2 },
      });
    });

    it('keeps list(), count(), get() and stats() local while clusterList() sees every instance', async () => {
      const [a, b] = await start(2);
      const onA = await open(a as Instance, '/hub/greet/local', { 'x-user': 'ada' });
      const onB = await open(b as Instance, '/hub/greet/local', { 'x-user': 'bob' });
      const idOf = async (stream: RawStream) =>
        JSON.parse((await stream.waitFor((events) => events.length === 1))[0]?.data ?? '{}')
          .connectionId as string;
      const [idOnA, idOnB] = [await idOf(onA), await idOf(onB)];
      type Local = { list: SseConnectionInfo[]; count: number; get: SseConnectionInfo | null };
      const local = async (instance: Instance, id: string) =>
        (await instance.get<Local>(`/control/list?channel=rooms/local&id=${id}`)).body;

      const fromA = await local(a as Instance, idOnB);
      expect(fromA.list.map((info) => info.id)).toEqual([idOnA]);
      expect(fromA.count).toBe(1);
      expect(fromA.get).toBeNull();
      expect((await local(a as Instance, idOnA)).get).toMatchObject({ id: idOnA, userId: 'ada' });
      expect((await local(b as Instance, idOnA)).list.map((info) => info.id)).toEqual([idOnB]);
      const stats = (await (a as Instance).get<{ connections: number }>('/control/stats')).body;
      expect(stats.connections).toBe(1);

      const cluster = (
        await (a as Instance).get<SseConnectionInfo[]>('/control/cluster-list?channel=rooms/local')
      ).body;
      expect(cluster.map((info) => info.id).sort()).toEqual([idOnA, idOnB].sort());
      expect(cluster.find((info) => info.id === idOnB)).toMatchObject({
        userId: 'bob',
        channels: ['rooms/local'],
        connectedAt: expect.any(String),
      });
    });

    it('answers clusterList() after listTimeoutMs without an instance that does not answer', async () => {
      const [a, b, c] = await start(3, { LIST_TIMEOUT_MS: '300' });
      for (const instance of [a, b, c] as Instance[]) await open(instance, '/hub/rooms/slow');
      const list = async () =>
        (await (a as Instance).get<SseConnectionInfo[]>('/control/cluster-list?channel=rooms/slow'))
          .body;
      const everyone = await list();
      expect(everyone).toHaveLength(3);
      const ofC = (
        await (c as Instance).get<{ list: SseConnectionInfo[] }>('/control/list?channel=rooms/slow')
      ).body.list[0]?.instance;
      // Frozen, c still counts as live (its report has not expired) but cannot answer.
      (c as Instance).pause();
      try {
        const started = Date.now();
        const listed = await list();
        expect(Date.now() - started).toBeGreaterThanOrEqual(300);
        expect(listed.map((info) => info.instance).sort()).toEqual(
          everyone
            .map((info) => info.instance)
            .filter((instance) => instance !== ofC)
            .sort(),
        );
      } finally {
        (c as Instance).resume();
      }
    });

    it('answers 204 on every instance once a channel is finished on one', async () => {
      const [a, b] = await start(2);
      const job = await open(b as Instance, '/hub/jobs/77');
      await (a as Instance).post('/control/finish', {
        channel: 'jobs/77',
        event: { event: 'done', data: 'ok' },
      });
      await job.ended;
      expect(job.events.map((e) => [e.event, e.data])).toEqual([['done', 'ok']]);
      for (const instance of [a, b] as Instance[]) {
        const again = await openRawStream(`${instance.url}/hub/jobs/77`);
        expect(again.status).toBe(204);
      }
    });

    it('a client of a crashed instance resumes on another with what it missed', async () => {
      const [a, , c] = await start(3);
      const onC = await open(c as Instance, '/hub/rooms/crash');
      await publish(a as Instance, 'rooms/crash', { data: 'before' });
      await onC.waitFor((events) => events.length === 1);
      await (c as Instance).crash();
      await onC.ended;
      await publish(a as Instance, 'rooms/crash', { data: 'while down' });
      const resumed = await open(a as Instance, '/hub/rooms/crash', {
        'last-event-id': onC.events[0]?.id as string,
      });
      await resumed.waitFor((events) => events.length === 1);
      expect(datas(resumed)).toEqual(['while down']);
    });
  },
);

/** The data of a channel's stored events, oldest first. */
async function historyData(instance: Instance, channel: string, limit: number): Promise<string[]> {
  const query = `channel=${encodeURIComponent(channel)}&limit=${limit}`;
  return (await instance.get<SseHistoryEntry<string>[]>(`/control/history?${query}`)).body.map(
    (entry) => entry.data,
  );
}

describe('keySlot() on a real Redis Cluster', () => {
  const suite = redisSuite({ topology: 'cluster' });

  it('hashes keys and shard channels to the slots the cluster computes', () => {
    const names = [
      'sse:{rooms/1}:ev',
      'sse:i:3f2a9c',
      'app:{ünï/côdé}:h',
      'a{}b{c}',
      '{{x}}',
      ...Array.from({ length: 20 }, (_, i) => `key-${i * 7919}`),
    ];
    for (const name of names)
      expect(keySlot(name)).toBe(Number(suite.target.cluster.cli(0, 'CLUSTER', 'KEYSLOT', name)));
  });
});
