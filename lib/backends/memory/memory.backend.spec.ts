import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { prepareEvent } from '../../wire/event-encoder.js';
import {
  comparePositions,
  SseChannelFinishedError,
  SseUnknownEventIdError,
  type ConnectionFilter,
  type OutboundFrame,
  type SseBackendContext,
  type SseConnectionInfo,
  type SseLocalDelivery,
  type SseLocalSnapshot,
  type SseReplayResult,
} from '../index.js';
import { MemoryBackend } from './memory.backend.js';

/** One call the backend made to the module side. */
type Delivered =
  | {
      readonly to: 'channel';
      readonly target: string;
      readonly frame: OutboundFrame;
      readonly exclude: ReadonlySet<string> | undefined;
    }
  | { readonly to: 'connection' | 'user'; readonly target: string; readonly frame: OutboundFrame }
  | { readonly to: 'finish'; readonly target: string; readonly frame: OutboundFrame | undefined };

/**
 * The module's side of the contract, recorded: each call and its frame, answering with the
 * counts a test sets (the connections "here").
 */
class RecordingDelivery implements SseLocalDelivery {
  readonly calls: Delivered[] = [];
  readonly listed: ConnectionFilter[] = [];
  /** Subscribers per channel, connections and users present, as a test sets them. */
  readonly subscribers = new Map<string, number>();
  readonly connections = new Set<string>();
  readonly users = new Map<string, number>();
  snapshotValue: SseLocalSnapshot = { connections: 0, channels: {}, users: {} };
  listValue: SseConnectionInfo[] = [];

  toChannel(channel: string, frame: OutboundFrame, exclude?: ReadonlySet<string>): number {
    this.calls.push({ to: 'channel', target: channel, frame, exclude });
    return this.subscribers.get(channel) ?? 0;
  }
  toConnection(connectionId: string, frame: OutboundFrame): number {
    this.calls.push({ to: 'connection', target: connectionId, frame });
    return this.connections.has(connectionId) ? 1 : 0;
  }
  toUser(userId: string, frame: OutboundFrame): number {
    this.calls.push({ to: 'user', target: userId, frame });
    return this.users.get(userId) ?? 0;
  }
  finishChannel(channel: string, lastFrame: OutboundFrame | undefined): number {
    this.calls.push({ to: 'finish', target: channel, frame: lastFrame });
    return this.subscribers.get(channel) ?? 0;
  }
  disconnectChannel(): number {
    throw new Error('MemoryBackend never loses events, so it never asks for a resync');
  }
  snapshot(): SseLocalSnapshot {
    return this.snapshotValue;
  }
  list(filter: ConnectionFilter): SseConnectionInfo[] {
    this.listed.push(filter);
    return this.listValue;
  }
  watchChannels(): () => void {
    throw new Error('MemoryBackend delivers every channel in this process: it watches none');
  }
}

const text = (frame: OutboundFrame | undefined) => frame?.bytes.toString();
const datas = (result: SseReplayResult) =>
  result.kind === 'events'
    ? result.frames.map((frame) => /data: (.*)/.exec(text(frame) ?? '')?.[1])
    : [];

describe('MemoryBackend', () => {
  let delivery: RecordingDelivery;
  let backend: MemoryBackend;

  const attach = async (
    history: Partial<SseBackendContext['history']> = {},
    finishedMaxChannels = 100,
  ) => {
    await backend.attach({
      delivery,
      instanceId: 'test',
      history: { maxAgeMs: undefined, maxChannels: 100, ...history },
      finished: { maxChannels: finishedMaxChannels },
    });
  };

  /** Publishes `data` (a plain event) on `channel`, keeping `historySize` events; its id. */
  const publish = async (channel: string, data: unknown, historySize = 10) => {
    const { id } = await backend.publish({
      channel,
      event: prepareEvent({ data }),
      exclude: [],
      conflateKey: channel,
      historySize,
    });
    return id;
  };

  const replay = (channels: string[], from: string[] | undefined, last = 0) =>
    backend.replay({ channels, from, last });

  beforeEach(() => {
    delivery = new RecordingDelivery();
    backend = new MemoryBackend();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  describe('publish()', () => {
    beforeEach(() => attach());

    it('assigns positions <epoch>-<n> that increase, across channels too', async () => {
      const before = Date.now();
      const ids = [await publish('a', 1), await publish('b', 2), await publish('a', 3)];
      const [epoch] = ids[0]?.split('-') ?? [];
      expect(Number(epoch)).toBeGreaterThanOrEqual(before - 1_000);
      expect(Number(epoch)).toBeLessThanOrEqual(Date.now());
      expect(ids).toEqual([`${epoch}-1`, `${epoch}-2`, `${epoch}-3`]);
      expect(comparePositions(ids[0] as string, ids[1] as string)).toBeLessThan(0);
      expect(comparePositions(ids[1] as string, ids[2] as string)).toBeLessThan(0);
    });

    it('delivers one frame to the channel with the position as its id and the conflation key', async () => {
      delivery.subscribers.set('rooms/1', 3);
      const result = await backend.publish({
        channel: 'rooms/1',
        event: prepareEvent({ event: 'chat', data: { text: 'hi' } }),
        exclude: [],
        conflateKey: 'rooms/1\nchat',
        historySize: 10,
      });
      expect(result).toEqual({ id: expect.stringMatching(/^\d+-1$/), delivered: 3 });
      expect(delivery.calls).toEqual([
        {
          to: 'channel',
          target: 'rooms/1',
          frame: {
            bytes: Buffer.from(`event: chat\nid: ${result.id}\ndata: {"text":"hi"}\n\n`),
            isEvent: true,
            channel: 'rooms/1',
            position: result.id,
            conflateKey: 'rooms/1\nchat',
          },
          exclude: undefined,
        },
      ]);
    });

    it('hands the excluded connections over as a set', async () => {
      await backend.publish({
        channel: 'rooms/1',
        event: prepareEvent({ data: 'x' }),
        exclude: ['test-1', 'test-2'],
        conflateKey: 'k',
        historySize: 10,
      });
      const [call] = delivery.calls;
      expect(call?.to === 'channel' && [...(call.exclude ?? [])]).toEqual(['test-1', 'test-2']);
    });
  });

  describe('sendToConnection() and sendToUser()', () => {
    beforeEach(() => attach());

    it('delivers a frame with the given id, or none, and no position', async () => {
      delivery.connections.add('test-1');
      delivery.users.set('ada', 2);
      const event = prepareEvent({ event: 'private', data: 'psst' });
      await expect(backend.sendToConnection('test-1', event, 'mine')).resolves.toBe(1);
      await expect(backend.sendToConnection('test-9', event, undefined)).resolves.toBe(0);
      await expect(backend.sendToUser('ada', event, undefined)).resolves.toBe(2);
      // The frame also carries its HTTP/1.1 chunk (see `targetedFrame()`): compared by content.
      expect(
        delivery.calls.map(({ to, target, frame }) => ({
          to,
          target,
          text: frame?.bytes.toString('utf8'),
          isEvent: frame?.isEvent,
        })),
      ).toEqual([
        {
          to: 'connection',
          target: 'test-1',
          text: 'event: private\nid: mine\ndata: psst\n\n',
          isEvent: true,
        },
        {
          to: 'connection',
          target: 'test-9',
          text: 'event: private\ndata: psst\n\n',
          isEvent: true,
        },
        { to: 'user', target: 'ada', text: 'event: private\ndata: psst\n\n', isEvent: true },
      ]);
    });
  });

  describe('finish()', () => {
    it('refuses publishes while the channel is finished, storing and delivering nothing', async () => {
      await attach();
      await publish('jobs/1', 'step');
      await backend.finish('jobs/1', undefined, 60_000);
      await expect(backend.isFinished('jobs/1')).resolves.toBe(true);
      await expect(backend.isFinished('jobs/2')).resolves.toBe(false);
      const late = publish('jobs/1', 'late');
      await expect(late).rejects.toThrow(SseChannelFinishedError);
      await expect(late).rejects.toMatchObject({ channel: 'jobs/1' });
      expect(delivery.calls.map((call) => call.to)).toEqual(['channel', 'finish']);
      expect((await backend.history('jobs/1', undefined, 10)).map((e) => e.data)).toEqual(['step']);
    });

    it('delivers the final event with a position to the finishing streams, and keeps it in history', async () => {
      await attach();
      delivery.subscribers.set('jobs/1', 2);
      const step = await publish('jobs/1', 'step');
      const ended = await backend.finish(
        'jobs/1',
        prepareEvent({ event: 'done', data: 7 }),
        60_000,
      );
      expect(ended).toBe(2);
      const call = delivery.calls.at(-1);
      expect(call).toMatchObject({ to: 'finish', target: 'jobs/1' });
      const position = call?.frame?.position as string;
      expect(comparePositions(position, step)).toBeGreaterThan(0);
      expect(text(call?.frame)).toBe(`event: done\nid: ${position}\ndata: 7\n\n`);
      expect(await backend.history('jobs/1', undefined, 10)).toEqual([
        { id: step, event: undefined, data: 'step' },
        { id: position, event: 'done', data: 7 },
      ]);
    });

    it('keeps no final event for a channel without history, and ends its streams with none when given none', async () => {
      await attach();
      await backend.finish('jobs/1', prepareEvent({ data: 'done' }), 60_000);
      expect(await backend.history('jobs/1', undefined, 10)).toEqual([]);
      await backend.finish('jobs/2', undefined, 60_000);
      expect(delivery.calls.at(-1)).toEqual({ to: 'finish', target: 'jobs/2', frame: undefined });
    });

    it('is over after its time-to-live, and accepts publishes again', async () => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      await attach();
      await backend.finish('jobs/1', undefined, 1_000);
      jest.setSystemTime(Date.now() + 999);
      await expect(backend.isFinished('jobs/1')).resolves.toBe(true);
      jest.setSystemTime(Date.now() + 1);
      await expect(backend.isFinished('jobs/1')).resolves.toBe(false);
      await expect(publish('jobs/1', 'next run')).resolves.toMatch(/^\d+-1$/);
    });

    it('remembers at most finished.maxChannels channels, forgetting the one finished longest ago', async () => {
      await attach({}, 2);
      for (const channel of ['a', 'b', 'c']) await backend.finish(channel, undefined, 60_000);
      expect(await Promise.all(['a', 'b', 'c'].map((c) => backend.isFinished(c)))).toEqual([
        false,
        true,
        true,
      ]);
      // Finishing b again renews it: c is now the oldest.
      await backend.finish('b', undefined, 60_000);
      await backend.finish('d', undefined, 60_000);
      expect(await Promise.all(['b', 'c', 'd'].map((c) => backend.isFinished(c)))).toEqual([
        true,
        false,
        true,
      ]);
    });
  });

  describe('replay() on a first connect', () => {
    beforeEach(() => attach());

    it('returns the last N events of all channels merged in publish order', async () => {
      const ids: string[] = [];
      for (const [channel, data] of [
        ['a', 'a1'],
        ['b', 'b2'],
        ['a', 'a3'],
        ['c', 'c4'],
        ['b', 'b5'],
        ['a', 'a6'],
      ] as const)
        ids.push(await publish(channel, data));
      const result = await replay(['a', 'b'], undefined, 3);
      expect(datas(result)).toEqual(['a3', 'b5', 'a6']);
      expect(result.kind === 'events' && result.frames.map((f) => [f.channel, f.position])).toEqual(
        [
          ['a', ids[2]],
          ['b', ids[4]],
          ['a', ids[5]],
        ],
      );
      // Each channel is at its newest event.
      expect(result.positions).toEqual([ids[5], ids[4]]);
    });

    it('returns replayed frames without a conflation key (a replay is never conflated)', async () => {
      await publish('a', 'x');
      const result = await replay(['a'], undefined, 1);
      expect(result.kind === 'events' && result.frames[0]?.conflateKey).toBeUndefined();
    });

    it('returns no frames for last 0, and the position of each channel', async () => {
      const a = await publish('a', 1);
      const head = await publish('b', 2);
      expect(await replay(['a', 'quiet'], undefined, 0)).toEqual({
        kind: 'events',
        frames: [],
        // A channel without events is at the newest position of the process.
        positions: [a, head],
      });
    });
  });

  describe('replay() on a resume', () => {
    it('returns the events of each channel after its position, merged in publish order', async () => {
      await attach();
      const a1 = await publish('a', 'a1');
      const b1 = await publish('b', 'b1');
      await publish('a', 'a2');
      const b2 = await publish('b', 'b2');
      const a3 = await publish('a', 'a3');
      const result = await replay(['a', 'b'], [a1, b1]);
      expect(datas(result)).toEqual(['a2', 'b2', 'a3']);
      // Each channel is at the last event it replays.
      expect(result.positions).toEqual([a3, b2]);
    });

    it('returns nothing, and the same positions, to a client that missed nothing', async () => {
      await attach();
      const a = await publish('a', 1);
      const b = await publish('b', 2);
      expect(await replay(['a', 'b', 'quiet'], [a, b, b])).toEqual({
        kind: 'events',
        frames: [],
        positions: [a, b, b],
      });
    });

    it.each<[string, (id: string) => string]>([
      ['of another epoch', (id) => `${Number(id.split('-')[0]) - 1}-1`],
      ['with a sequence not issued yet', (id) => `${id.split('-')[0]}-99`],
      ['that is malformed', () => 'not-a-position'],
      ['that is not a safe integer pair', () => '99999999999999999-1'],
    ])('resets with unknown-id for a position %s', async (_, forge) => {
      await attach();
      const id = await publish('a', 1);
      const head = await publish('b', 2);
      expect(await replay(['a', 'b'], [forge(id), head])).toEqual({
        kind: 'reset',
        reason: 'unknown-id',
        positions: [id, head],
      });
    });

    it('resets with evicted when history.size dropped events after the position', async () => {
      await attach();
      const first = await publish('a', 1, 2);
      const second = await publish('a', 2, 2);
      await publish('a', 3, 2);
      const newest = await publish('a', 4, 2);
      expect(await replay(['a'], [first])).toEqual({
        kind: 'reset',
        reason: 'evicted',
        positions: [newest],
      });
      // From the newest event dropped, nothing is missing.
      expect(datas(await replay(['a'], [second]))).toEqual(['3', '4']);
    });

    it('resets with evicted for a channel keeping no history once it had an event', async () => {
      await attach();
      const before = await publish('other', 0);
      await publish('a', 1, 0);
      expect(await replay(['a'], [before])).toMatchObject({ kind: 'reset', reason: 'evicted' });
    });

    it('resets with evicted when history.maxAgeMs dropped events after the position', async () => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      await attach({ maxAgeMs: 1_000 });
      const first = await publish('a', 1);
      jest.setSystemTime(Date.now() + 600);
      await publish('a', 2);
      jest.setSystemTime(Date.now() + 600);
      // The first event is 1200 ms old and gone, the second 600 ms.
      const zero = `${first.split('-')[0]}-0`;
      expect(await replay(['a'], [zero])).toMatchObject({ kind: 'reset', reason: 'evicted' });
      // A client at the dropped event itself misses nothing.
      expect(datas(await replay(['a'], [first]))).toEqual(['2']);
      await expect(backend.history('a', zero, 10)).rejects.toMatchObject({ reason: 'evicted' });
      expect((await backend.history('a', undefined, 10)).map((e) => e.data)).toEqual([2]);
    });

    it('resets with evicted when the channel was forgotten (history.maxChannels)', async () => {
      await attach({ maxChannels: 2 });
      const a1 = await publish('a', 'a1');
      await publish('a', 'a2');
      await publish('b', 'b1');
      // A third channel: a, published least recently, is forgotten.
      const c1 = await publish('c', 'c1');
      expect(await replay(['a'], [a1])).toMatchObject({ kind: 'reset', reason: 'evicted' });
      // Published again, a has a new ring, younger than the client's position.
      await publish('a', 'a3');
      expect(await replay(['a'], [a1])).toMatchObject({ kind: 'reset', reason: 'evicted' });
      // A client that had every event of the forgotten ring misses nothing.
      expect(datas(await replay(['a'], [c1]))).toEqual(['a3']);
    });

    it('replays from a channel whose ring is older than the position, whatever was forgotten since', async () => {
      await attach({ maxChannels: 2 });
      const a1 = await publish('a', 'a1');
      await publish('b', 'b1');
      await publish('a', 'a2');
      // b is forgotten, a stays: its ring predates a1.
      await publish('c', 'c1');
      expect(datas(await replay(['a'], [a1]))).toEqual(['a2']);
    });
  });

  describe('history()', () => {
    beforeEach(() => attach());

    it('returns the last `limit` events, oldest first', async () => {
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) ids.push(await publish('a', `e${i}`));
      await publish('b', 'other channel');
      expect(await backend.history('a', undefined, 2)).toEqual([
        { id: ids[3], event: undefined, data: 'e4' },
        { id: ids[4], event: undefined, data: 'e5' },
      ]);
      expect(await backend.history('empty', undefined, 2)).toEqual([]);
    });

    it('returns the events after an id, at most `limit`', async () => {
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) ids.push(await publish('a', i));
      const after = await backend.history('a', ids[1], 2);
      expect(after.map((e) => [e.id, e.data])).toEqual([
        [ids[2], 3],
        [ids[3], 4],
      ]);
      expect(await backend.history('a', ids[4], 10)).toEqual([]);
    });

    it('parses JSON data back and keeps string data as it was', async () => {
      for (const e of [
        { event: 'obj', data: { n: 1, list: ['x'] } },
        { data: '{"looks":"like json"}' },
        { data: 'two\nlines' },
        { data: 42 },
      ])
        await backend.publish({
          channel: 'a',
          event: prepareEvent(e),
          exclude: [],
          conflateKey: 'a',
          historySize: 10,
        });
      expect((await backend.history('a', undefined, 10)).map((e) => [e.event, e.data])).toEqual([
        ['obj', { n: 1, list: ['x'] }],
        [undefined, '{"looks":"like json"}'],
        [undefined, 'two\nlines'],
        [undefined, 42],
      ]);
    });

    it.each<[string, string, (id: string, first: string) => string]>([
      ['unknown-id', 'an id never issued', () => 'garbage'],
      ['unknown-id', 'an id of the future', (id) => `${id.split('-')[0]}-99`],
      ['evicted', 'an id whose successors were dropped', (_id, first) => first],
    ])('rejects with SseUnknownEventIdError (%s) for %s', async (reason, _, pick) => {
      const first = await publish('a', 1, 1);
      const id = await publish('a', 2, 1);
      await publish('a', 3, 1);
      const read = backend.history('a', pick(id, first), 10);
      await expect(read).rejects.toThrow(SseUnknownEventIdError);
      await expect(read).rejects.toMatchObject({ channel: 'a', reason });
    });
  });

  describe('cluster views', () => {
    beforeEach(() => attach());

    it("reports this process's snapshot as one instance", async () => {
      delivery.snapshotValue = { connections: 2, channels: { a: 2 }, users: { ada: 1 } };
      await expect(backend.clusterStats()).resolves.toEqual({
        instances: 1,
        connections: 2,
        channels: { a: 2 },
        users: { ada: 1 },
      });
    });

    it("lists this process's connections for the filter", async () => {
      const info = { id: 'test-1', instance: 'test' } as SseConnectionInfo;
      delivery.listValue = [info];
      await expect(backend.clusterList({ channel: 'a' })).resolves.toEqual([info]);
      expect(delivery.listed).toEqual([{ channel: 'a' }]);
    });
  });

  it('says it was used before the module attached it', async () => {
    const expected = /MemoryBackend used before/;
    await expect(publish('a', 1)).rejects.toThrow(expected);
    await expect(replay(['a'], undefined, 1)).rejects.toThrow(expected);
    await expect(backend.history('a', undefined, 1)).rejects.toThrow(expected);
    await expect(backend.sendToUser('ada', prepareEvent({ data: 1 }), undefined)).rejects.toThrow(
      expected,
    );
    await expect(backend.clusterStats()).rejects.toThrow(expected);
  });
});
