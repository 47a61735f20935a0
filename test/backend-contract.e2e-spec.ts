import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Module } from '@nestjs/common';
import { EventSource } from 'eventsource';
import { concat, NEVER, of, type Observable } from 'rxjs';
import {
  BroadcastService,
  ConnectionRegistry,
  MemoryBackend,
  SseChannel,
  SseChannelFinishedError,
  SseConnectionId,
  SseModule,
  SseUnknownEventIdError,
  type SseBackend,
  type SseChannelEvent,
  type SseEvent,
  type SseModuleOptions,
  type SseRequest,
} from '../lib/index.js';
import { comparePositions } from '../lib/backends/index.js';
import { ListBackend } from './fixtures/list.backend.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { opened, openRawStream, type RawStream } from './support/sse-clients.js';

/**
 * The contract of `SseBackend`, end to end: the same behaviours through a real app and real
 * clients, on the built-in backend and on `ListBackend`, a second one written against
 * `nestjs-sse-channels/backend` alone.
 */
const BACKENDS: Array<[string, () => SseBackend]> = [
  ['MemoryBackend', () => new MemoryBackend()],
  ['ListBackend', () => new ListBackend()],
];

@Controller('contract')
class ContractController {
  @SseChannel('rooms/:room')
  room(): void {}

  /** Joins the room and first tells the client its connection id. */
  @SseChannel('greet/:room', { channel: 'rooms/:room' })
  greet(@SseConnectionId() connectionId: string): Observable<SseEvent> {
    return concat(of({ event: 'welcome', data: connectionId }), NEVER);
  }

  @SseChannel('pair', { channel: ['a', 'b'] })
  pair(): void {}

  @SseChannel('recent-pair', { channel: ['a', 'b'], replayOnConnect: 3 })
  recentPair(): void {}
}

/** `x-user: <id>` is the connection's user. */
function userOf(request: SseRequest): string | undefined {
  const user = request.headers['x-user'];
  return typeof user === 'string' ? user : undefined;
}

function contractModule(backend: SseBackend, options: SseModuleOptions) {
  @Module({
    imports: [SseModule.forRoot({ ...options, backend, userId: userOf })],
    controllers: [ContractController],
  })
  class ContractAppModule {}
  return ContractAppModule;
}

const datas = (stream: RawStream) => stream.events.map((event) => event.data);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(BACKENDS)('the SseBackend contract, on %s', (_, createBackend) => {
  describe.each(ADAPTERS)('over %s', (adapter) => {
    let running: RunningApp | undefined;
    let broadcast: BroadcastService;
    const streams: RawStream[] = [];
    let source: EventSource | undefined;

    const start = async (options: SseModuleOptions = {}) => {
      running = await startApp(contractModule(createBackend(), options), adapter);
      broadcast = running.app.get(BroadcastService);
      return running;
    };
    /** Opens a stream of the app, closed after the test. */
    const open = async (path: string, headers: Record<string, string> = {}) => {
      const stream = await openRawStream(`${running?.url}/contract/${path}`, headers);
      streams.push(stream);
      return stream;
    };
    /** Opens a stream that resumes after `lastEventId`. */
    const resume = (path: string, lastEventId: string) =>
      open(path, { 'last-event-id': lastEventId });

    afterEach(async () => {
      source?.close();
      source = undefined;
      for (const stream of streams.splice(0)) stream.close();
      await running?.close();
      running = undefined;
    });

    it('delivers a publish to the subscribers, with its position as id', async () => {
      await start();
      const first = await open('rooms/1');
      const second = await open('rooms/1');
      const other = await open('rooms/2');
      await Promise.all([first, second, other].map(opened));
      const { id, delivered } = await broadcast.publish('rooms/1', {
        event: 'chat',
        data: { text: 'hi' },
      });
      expect(delivered).toBe(2);
      expect(id).toMatch(/^\d+-\d+$/);
      for (const stream of [first, second]) {
        await stream.waitFor((events) => events.length === 1);
        expect(stream.events).toEqual([{ event: 'chat', data: '{"text":"hi"}', id }]);
      }
      const next = await broadcast.publish('rooms/1', { data: 'next' });
      await first.waitFor((events) => events.length === 2);
      expect(first.events[1]?.id).toBe(next.id);
      expect(comparePositions(next.id, id)).toBeGreaterThan(0);
      expect(other.events).toEqual([]);
    });

    it('skips the connections a publish excludes', async () => {
      await start();
      const sender = await open('greet/x');
      const receiver = await open('greet/x');
      await Promise.all([sender, receiver].map((s) => s.waitFor((e) => e.length === 1)));
      const senderId = sender.events[0]?.data as string;
      await expect(
        broadcast.publish('rooms/x', { data: 'echo' }, { exclude: [senderId] }),
      ).resolves.toMatchObject({ delivered: 1 });
      await broadcast.publish('rooms/x', { data: 'everyone' });
      await sender.waitFor((events) => events.length === 2);
      await receiver.waitFor((events) => events.length === 3);
      expect(datas(sender)).toEqual([senderId, 'everyone']);
      expect(datas(receiver).slice(1)).toEqual(['echo', 'everyone']);
    });

    it('sends a client that reconnects with Last-Event-ID exactly what it missed, then live events', async () => {
      await start();
      const before = await open('rooms/r');
      await opened(before);
      await broadcast.publish('rooms/r', { data: 'seen' });
      await before.waitFor((events) => events.length === 1);
      before.close();
      const missed = [
        await broadcast.publish('rooms/r', { data: 'missed 1' }),
        await broadcast.publish('rooms/r', { event: 'edit', data: 'missed 2' }),
      ];
      await broadcast.publish('rooms/other', { data: 'another channel' });
      const again = await resume('rooms/r', before.lastEventId() as string);
      await again.waitFor((events) => events.length === 2);
      const live = await broadcast.publish('rooms/r', { data: 'live' });
      await again.waitFor((events) => events.length === 3);
      expect(again.events).toEqual([
        { event: undefined, data: 'missed 1', id: missed[0]?.id },
        { event: 'edit', data: 'missed 2', id: missed[1]?.id },
        { event: undefined, data: 'live', id: live.id },
      ]);
    });

    it('resumes a stream on two channels in each of them, in publish order', async () => {
      await start();
      const before = await open('pair');
      await opened(before);
      await broadcast.publish('a', { data: 'a1' });
      await broadcast.publish('b', { data: 'b1' });
      await before.waitFor((events) => events.length === 2);
      before.close();
      for (const [channel, data] of [
        ['b', 'b2'],
        ['a', 'a2'],
        ['b', 'b3'],
      ] as const)
        await broadcast.publish(channel, { data });
      const again = await resume('pair', before.lastEventId() as string);
      await again.waitFor((events) => events.length === 3);
      await broadcast.publish('a', { data: 'a3' });
      await again.waitFor((events) => events.length === 4);
      expect(datas(again)).toEqual(['b2', 'a2', 'b3', 'a3']);
      // And once more from where that stream was: nothing twice.
      again.close();
      await broadcast.publish('b', { data: 'b4' });
      const third = await resume('pair', again.lastEventId() as string);
      await third.waitFor((events) => events.length === 1);
      expect(datas(third)).toEqual(['b4']);
    });

    it('sends the last events of all channels on a first connect with replayOnConnect', async () => {
      await start();
      for (const [channel, data] of [
        ['a', 'a1'],
        ['b', 'b1'],
        ['a', 'a2'],
        ['b', 'b2'],
      ] as const)
        await broadcast.publish(channel, { data });
      const stream = await open('recent-pair');
      await stream.waitFor((events) => events.length === 3);
      await broadcast.publish('b', { data: 'b3' });
      await stream.waitFor((events) => events.length === 4);
      expect(datas(stream)).toEqual(['b1', 'a2', 'b2', 'b3']);
    });

    /** A client's stale id and the newest event published, which the reset's id must name. */
    type Stale = { lastEventId: string; newest: string };
    it.each<[string, string, SseModuleOptions, (broadcast: BroadcastService) => Promise<Stale>]>([
      [
        'evicted',
        'events after the id left history (history.size)',
        { history: { size: 2 } },
        async (b) => {
          const { id: lastEventId } = await b.publish('rooms/s', { data: 1 });
          for (let i = 2; i <= 3; i++) await b.publish('rooms/s', { data: i });
          const { id: newest } = await b.publish('rooms/s', { data: 4 });
          return { lastEventId, newest };
        },
      ],
      [
        'evicted',
        'events after the id expired (history.maxAgeMs)',
        { history: { maxAgeMs: 1_000 } },
        async (b) => {
          const { id: lastEventId } = await b.publish('rooms/s', { data: 1 });
          const { id: newest } = await b.publish('rooms/s', { data: 2 });
          await sleep(1_100);
          return { lastEventId, newest };
        },
      ],
      [
        'evicted',
        "the channel's history was forgotten (history.maxChannels)",
        { history: { maxChannels: 1 } },
        async (b) => {
          const { id: lastEventId } = await b.publish('rooms/s', { data: 1 });
          await b.publish('rooms/s', { data: 2 });
          const { id: newest } = await b.publish('rooms/elsewhere', { data: 3 });
          return { lastEventId, newest };
        },
      ],
      [
        'unknown-id',
        'the id is a position of another process',
        {},
        async (b) => {
          const { id: newest } = await b.publish('rooms/s', { data: 1 });
          return { lastEventId: '1-1', newest };
        },
      ],
      [
        'unknown-id',
        'the id is a position not issued yet',
        {},
        async (b) => {
          const { id: newest } = await b.publish('rooms/s', { data: 1 });
          return { lastEventId: `${newest.split('-')[0]}-999999`, newest };
        },
      ],
    ])('sends sse:reset (%s) when %s, then live events', async (reason, _, options, prepare) => {
      await start(options);
      const { lastEventId, newest } = await prepare(broadcast);
      const stream = await resume('rooms/s', lastEventId);
      expect(stream.status).toBe(200);
      await stream.waitFor((events) => events.length === 1);
      expect(stream.events[0]).toEqual({
        event: 'sse:reset',
        data: JSON.stringify({ reason }),
        id: newest,
      });
      const live = await broadcast.publish('rooms/s', { data: 'live' });
      await stream.waitFor((events) => events.length === 2);
      expect(stream.events[1]).toEqual({ event: undefined, data: 'live', id: live.id });
    });

    it('reads history: the last events, those after an id, data as published', async () => {
      await start({ history: { size: 3 } });
      const events: SseChannelEvent[] = [
        { data: 'dropped' },
        { event: 'obj', data: { n: 1 } },
        { data: 'two\nlines' },
        { data: [2] },
      ];
      const ids: string[] = [];
      for (const event of events) ids.push((await broadcast.publish('rooms/h', event)).id);
      await expect(broadcast.history('rooms/h', { limit: 2 })).resolves.toEqual([
        { id: ids[2], event: undefined, data: 'two\nlines' },
        { id: ids[3], event: undefined, data: [2] },
      ]);
      await expect(broadcast.history('rooms/h', { afterId: ids[1] })).resolves.toEqual([
        { id: ids[2], event: undefined, data: 'two\nlines' },
        { id: ids[3], event: undefined, data: [2] },
      ]);
      expect((await broadcast.history('rooms/h', { afterId: ids[0] }))[0]).toEqual({
        id: ids[1],
        event: 'obj',
        data: { n: 1 },
      });
      await expect(broadcast.history('rooms/none')).resolves.toEqual([]);
    });

    it.each<[string, (ids: string[]) => string]>([
      ['evicted', (ids) => `${ids[0]?.split('-')[0]}-0`],
      ['unknown-id', () => '1-1'],
    ])(
      'rejects history() after an id it cannot serve with SseUnknownEventIdError (%s)',
      async (reason, afterIdOf) => {
        await start({ history: { size: 1 } });
        const ids = [
          (await broadcast.publish('rooms/h', { data: 1 })).id,
          (await broadcast.publish('rooms/h', { data: 2 })).id,
        ];
        const read = broadcast.history('rooms/h', { afterId: afterIdOf(ids) });
        await expect(read).rejects.toThrow(SseUnknownEventIdError);
        await expect(read).rejects.toMatchObject({ channel: 'rooms/h', reason });
      },
    );

    it('sendTo() and sendToUser() reach only the streams they name', async () => {
      await start();
      const ada = await open('greet/t', { 'x-user': 'ada' });
      const bob = await open('greet/t', { 'x-user': 'bob' });
      await Promise.all([ada, bob].map((s) => s.waitFor((e) => e.length === 1)));
      const adaId = ada.events[0]?.data as string;
      await expect(broadcast.sendTo(adaId, { event: 'private', data: 'for ada' })).resolves.toEqual(
        { delivered: 1 },
      );
      await expect(
        broadcast.sendToUser('bob', { event: 'note', data: 'for bob', id: 'note-1' }),
      ).resolves.toEqual({ delivered: 1 });
      await expect(broadcast.sendTo(`${adaId}0`, { data: 'nobody' })).resolves.toEqual({
        delivered: 0,
      });
      await expect(broadcast.sendTo('elsewhere-1', { data: 'nobody' })).resolves.toEqual({
        delivered: 0,
      });
      // A publish to both, after the sends: what each has then is all it will get of them.
      await broadcast.publish('rooms/t', { data: 'fence' });
      await Promise.all([ada, bob].map((s) => s.waitFor((e) => e.length === 3)));
      expect(ada.events.slice(1).map((e) => [e.event, e.data, e.id])).toEqual([
        ['private', 'for ada', undefined],
        [undefined, 'fence', expect.any(String)],
      ]);
      expect(bob.events.slice(1).map((e) => [e.event, e.data, e.id])).toEqual([
        ['note', 'for bob', 'note-1'],
        [undefined, 'fence', expect.any(String)],
      ]);
    });

    it('reports the connections of this process as the cluster', async () => {
      const { app } = await start();
      const stream = await open('rooms/c', { 'x-user': 'ada' });
      await opened(stream);
      const registry = app.get(ConnectionRegistry);
      await expect(registry.clusterStats()).resolves.toEqual({
        instances: 1,
        connections: 1,
        channels: { 'rooms/c': 1 },
        users: { ada: 1 },
      });
      const listed = await registry.clusterList({ userId: 'ada' });
      expect(listed.map((c) => [c.channels, c.userId, c.state])).toEqual([
        [['rooms/c'], 'ada', 'open'],
      ]);
      await expect(registry.clusterList({ userId: 'bob' })).resolves.toEqual([]);
    });

    it('finish() ends the streams after the final event, keeps it, and reconnects get 204', async () => {
      await start({ retryMs: 50 });
      const client = new EventSource(`${running?.url}/contract/rooms/f`);
      source = client;
      const received: string[] = [];
      client.addEventListener('message', (event) => received.push(String(event.data)));
      client.addEventListener('done', (event) => received.push(`done ${String(event.data)}`));
      const stopped = new Promise<void>((resolve) =>
        client.addEventListener('error', () => {
          if (client.readyState === EventSource.CLOSED) resolve();
        }),
      );
      await new Promise((resolve) => client.addEventListener('open', resolve, { once: true }));
      const raw = await open('rooms/f');
      await opened(raw);
      const step = await broadcast.publish('rooms/f', { data: 'step' });
      await expect(
        broadcast.finish('rooms/f', { event: 'done', data: { ok: true } }),
      ).resolves.toEqual({ ended: 2 });
      await raw.ended;
      expect(raw.events.map((e) => [e.event, e.data])).toEqual([
        [undefined, 'step'],
        ['done', '{"ok":true}'],
      ]);
      const finalId = raw.events[1]?.id as string;
      expect(finalId).not.toBe(step.id);
      // EventSource reconnects with the final event's id, gets 204 and stops for good.
      await stopped;
      expect(received).toEqual(['step', 'done {"ok":true}']);
      const again = await resume('rooms/f', finalId);
      expect(again.status).toBe(204);
      await expect(broadcast.publish('rooms/f', { data: 'late' })).rejects.toThrow(
        SseChannelFinishedError,
      );
      expect((await broadcast.history('rooms/f')).map((e) => [e.id, e.data])).toEqual([
        [step.id, 'step'],
        [finalId, { ok: true }],
      ]);
    });

    it('serves a finished channel again once finished.ttlMs has passed', async () => {
      await start({ finished: { ttlMs: 1_000 } });
      await broadcast.finish('rooms/t', undefined);
      expect((await open('rooms/t')).status).toBe(204);
      await sleep(1_100);
      const again = await open('rooms/t');
      expect(again.status).toBe(200);
      await opened(again);
      await expect(broadcast.publish('rooms/t', { data: 'next run' })).resolves.toMatchObject({
        delivered: 1,
      });
    });
  });
});
