import { afterEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { MemoryBackend } from '../backends/memory/memory.backend.js';
import { SseChannelFinishedError } from '../errors/sse-channel-finished.error.js';
import { SseChannelNameError } from '../errors/sse-channel-name.error.js';
import { SseEventError } from '../errors/sse-event.error.js';
import { SsePayloadValidationError } from '../errors/sse-payload-validation.error.js';
import { SseShutdownError } from '../errors/sse-shutdown.error.js';
import { SseUnknownEventIdError } from '../errors/sse-unknown-event-id.error.js';
import type { SseChannelEvent, SseEvent } from '../interfaces/sse-event.interface.js';
import { SSE_DEFAULTS } from '../sse.constants.js';
import { SseModule } from '../sse.module.js';
import { BroadcastService } from './broadcast.service.js';

/** The payload DTO of `rooms/:room` in the validation tests. */
class ChatMessage {
  @IsString()
  text!: string;
}

/**
 * The in-memory backend, but its `close()` (the last step of `app.close()`) waits until the
 * test lets it finish. The real one closes at once, so nothing could be called while the
 * application is shutting down and not yet closed; held here, that moment lasts.
 */
class BackendClosingSlowly extends MemoryBackend {
  private release!: () => void;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));
  private reached!: () => void;
  /** Resolves once shutdown has come as far as closing the backend. */
  readonly closing = new Promise<void>((resolve) => (this.reached = resolve));

  override async close(): Promise<void> {
    this.reached();
    await this.released;
    return super.close();
  }

  finishClosing(): void {
    this.release();
  }
}

/** `<ms>-<seq>` as two numbers, for ordering ids. */
function partsOf(id: string): [number, number] {
  const [ms = NaN, seq = NaN] = id.split('-').map(Number);
  return [ms, seq];
}

function byPosition(a: string, b: string): number {
  const [msA, seqA] = partsOf(a);
  const [msB, seqB] = partsOf(b);
  return msA - msB || seqA - seqB;
}

/** Publishes `count` events to `channel` one after the other; returns their ids. */
async function publishMany(
  broadcast: BroadcastService,
  channel: string,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await broadcast.publish(channel, { data: i })).id);
  return ids;
}

describe('BroadcastService', () => {
  let testing: TestingModule | undefined;

  /** A started SseModule with the real in-memory backend; closed after the test. */
  async function boot(
    options: Parameters<typeof SseModule.forRoot>[0] = {},
  ): Promise<BroadcastService> {
    testing = await Test.createTestingModule({ imports: [SseModule.forRoot(options)] }).compile();
    await testing.init();
    return testing.get(BroadcastService);
  }

  afterEach(async () => {
    await testing?.close();
    testing = undefined;
  });

  describe('publish()', () => {
    it.each([
      ['an empty name', ''],
      ['a name of 201 characters', `rooms/${'x'.repeat(195)}`],
      ['a name with a control character', 'rooms/1\n'],
      ['a value that is not a string', 42],
    ])('rejects %s with SseChannelNameError (SSE_INVALID_CHANNEL)', async (_, name) => {
      const broadcast = await boot();
      const published = broadcast.publish(name as string, { data: 'x' });
      await expect(published).rejects.toBeInstanceOf(SseChannelNameError);
      await expect(published).rejects.toMatchObject({ code: 'SSE_INVALID_CHANNEL' });
    });

    it('stores nothing under the names a lenient publish would have made of a refused one', async () => {
      const broadcast = await boot();
      const long = `rooms/${'x'.repeat(195)}`;
      await expect(broadcast.publish('rooms/1\n', { data: 'x' })).rejects.toThrow();
      await expect(broadcast.publish(long, { data: 'x' })).rejects.toThrow();
      // The name trimmed, or cut to its first 200 characters.
      expect(await broadcast.history('rooms/1')).toEqual([]);
      expect(await broadcast.history(long.slice(0, 200))).toEqual([]);
    });

    it.each([
      ['a bare string', 'hello'],
      ['a bare object', { text: 'hello' }],
      ['an object with keys besides the event fields', { data: 'hello', user: 'ada' }],
    ])('rejects %s with SseEventError, storing nothing', async (_, value) => {
      const broadcast = await boot();
      const published = broadcast.publish('rooms/1', value as never);
      await expect(published).rejects.toBeInstanceOf(SseEventError);
      await expect(published).rejects.toMatchObject({ field: 'event object' });
      expect(await broadcast.history('rooms/1')).toEqual([]);
    });

    it('rejects an event with an id of its own with SseEventError naming the id', async () => {
      const broadcast = await boot();
      const event = { data: 'hello', id: 'mine-1' } as SseChannelEvent;
      const published = broadcast.publish('rooms/1', event);
      await expect(published).rejects.toBeInstanceOf(SseEventError);
      await expect(published).rejects.toMatchObject({ field: 'id' });
    });

    it('gives each event an id <ms>-<seq> that increases within its channel', async () => {
      const broadcast = await boot();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await broadcast.publish('rooms/1', { data: i })).id);
        // Another channel's events in between: the order holds within the channel regardless.
        await broadcast.publish('rooms/2', { data: i });
      }
      for (const id of ids) expect(id).toMatch(/^\d+-\d+$/);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual([...ids].sort(byPosition));
    });

    it('gives each event the id history() returns for it', async () => {
      const broadcast = await boot();
      const ids = await publishMany(broadcast, 'rooms/1', 3);
      expect((await broadcast.history('rooms/1')).map((entry) => entry.id)).toEqual(ids);
    });
  });

  describe('history()', () => {
    it('returns data as published: strings as they were (line breaks as LF), other values parsed back from JSON', async () => {
      const broadcast = await boot();
      const published: SseChannelEvent[] = [
        { event: 'text', data: 'line 1\r\nline 2\rline 3' },
        { data: '42' },
        { data: 42 },
        { event: 'row', data: { id: 7, data: 'not an event', at: new Date(0), tags: ['a'] } },
      ];
      for (const event of published) await broadcast.publish('rooms/1', event);
      const history = await broadcast.history('rooms/1');
      expect(history.map(({ event, data }) => ({ event, data }))).toEqual([
        { event: 'text', data: 'line 1\nline 2\nline 3' },
        { event: undefined, data: '42' },
        { event: undefined, data: 42 },
        {
          event: 'row',
          data: { id: 7, data: 'not an event', at: '1970-01-01T00:00:00.000Z', tags: ['a'] },
        },
      ]);
    });

    it('returns the last SSE_DEFAULTS.historyLimit events, oldest first, when no limit is given', async () => {
      const extra = 10;
      const broadcast = await boot({ history: { size: SSE_DEFAULTS.historyLimit + extra } });
      const ids = await publishMany(broadcast, 'rooms/1', SSE_DEFAULTS.historyLimit + extra);
      expect((await broadcast.history('rooms/1')).map((entry) => entry.id)).toEqual(
        ids.slice(extra),
      );
    });

    it('returns the last `limit` events, oldest first', async () => {
      const broadcast = await boot();
      const ids = await publishMany(broadcast, 'rooms/1', 5);
      const history = await broadcast.history('rooms/1', { limit: 2 });
      expect(history.map((entry) => entry.id)).toEqual(ids.slice(3));
    });

    it('returns the events after `afterId`, oldest first', async () => {
      const broadcast = await boot();
      const ids = await publishMany(broadcast, 'rooms/1', 5);
      const history = await broadcast.history('rooms/1', { afterId: ids[1] });
      expect(history.map((entry) => entry.id)).toEqual(ids.slice(2));
    });

    it.each([
      ['not a position', () => 'nope'],
      ['a position of another process', () => '1-1'],
      ['a position not issued yet', (issued: string) => `${partsOf(issued)[0]}-999999`],
    ])(
      'rejects an afterId that is %s with SseUnknownEventIdError (unknown-id)',
      async (_, afterIdFor) => {
        const broadcast = await boot();
        const [issued = ''] = await publishMany(broadcast, 'rooms/1', 1);
        const read = broadcast.history('rooms/1', { afterId: afterIdFor(issued) });
        await expect(read).rejects.toBeInstanceOf(SseUnknownEventIdError);
        await expect(read).rejects.toMatchObject({
          code: 'SSE_UNKNOWN_EVENT_ID',
          channel: 'rooms/1',
          reason: 'unknown-id',
        });
      },
    );

    it('rejects an afterId whose successors history no longer holds, with reason evicted', async () => {
      const broadcast = await boot({ history: { size: 2 } });
      const ids = await publishMany(broadcast, 'rooms/1', 4);
      const read = broadcast.history('rooms/1', { afterId: ids[0] });
      await expect(read).rejects.toBeInstanceOf(SseUnknownEventIdError);
      await expect(read).rejects.toMatchObject({ reason: 'evicted' });
    });

    it('keeps the historySize of the declaration a channel matches, and history.size for others', async () => {
      const broadcast = await boot({
        history: { size: 4 },
        channels: [
          { pattern: 'rooms/:room', historySize: 2 },
          { pattern: 'jobs/*', historySize: 1 },
        ],
      });
      for (const channel of ['rooms/1', 'jobs/7/steps', 'news']) {
        await publishMany(broadcast, channel, 6);
      }
      const kept = async (channel: string) => (await broadcast.history(channel)).length;
      expect({
        'rooms/1': await kept('rooms/1'),
        'jobs/7/steps': await kept('jobs/7/steps'),
        news: await kept('news'),
      }).toEqual({ 'rooms/1': 2, 'jobs/7/steps': 1, news: 4 });
    });

    it('applies the first declaration a channel matches, not the most specific one', async () => {
      const broadcast = await boot({
        history: { size: 4 },
        channels: [
          { pattern: 'rooms/:room', historySize: 3 },
          { pattern: 'rooms/vip', historySize: 1 },
        ],
      });
      await publishMany(broadcast, 'rooms/vip', 6);
      expect(await broadcast.history('rooms/vip')).toHaveLength(3);
    });
  });

  describe('payload validation', () => {
    const withDto = { channels: [{ pattern: 'rooms/:room', payload: ChatMessage }] };

    it("rejects a payload the channel's DTO refuses with SsePayloadValidationError, storing nothing", async () => {
      const broadcast = await boot(withDto);
      const published = broadcast.publish('rooms/1', { data: { text: 42 } });
      await expect(published).rejects.toBeInstanceOf(SsePayloadValidationError);
      await expect(published).rejects.toMatchObject({
        code: 'SSE_INVALID_PAYLOAD',
        channel: 'rooms/1',
        message: expect.stringContaining('text must be a string'),
      });
      expect(await broadcast.history('rooms/1')).toEqual([]);
    });

    it('publishes a payload the DTO accepts', async () => {
      const broadcast = await boot(withDto);
      await broadcast.publish('rooms/1', { data: { text: 'hi' } });
      expect((await broadcast.history('rooms/1')).map((entry) => entry.data)).toEqual([
        { text: 'hi' },
      ]);
    });
  });

  describe('sendTo() and sendToUser()', () => {
    const targeted: Array<[string, (b: BroadcastService, e: SseEvent) => Promise<unknown>]> = [
      ['sendTo()', (broadcast, event) => broadcast.sendTo('nobody-1', event)],
      ['sendToUser()', (broadcast, event) => broadcast.sendToUser('nobody', event)],
    ];

    it.each(targeted)(
      '%s rejects an id a client could not send back with SseEventError',
      async (_, send) => {
        const broadcast = await boot();
        const sent = send(broadcast, { data: 'x', id: ' padded' });
        await expect(sent).rejects.toBeInstanceOf(SseEventError);
        await expect(sent).rejects.toMatchObject({ field: 'id' });
      },
    );

    it.each(targeted)(
      '%s resolves delivered 0 for a target not connected here',
      async (_, send) => {
        const broadcast = await boot();
        expect(await send(broadcast, { data: 'x', id: 'reply-1' })).toEqual({ delivered: 0 });
      },
    );
  });

  describe('finish()', () => {
    it('makes later publishes to the channel reject with SseChannelFinishedError', async () => {
      const broadcast = await boot();
      await broadcast.finish('jobs/7', { event: 'done', data: 'ok' });
      const published = broadcast.publish('jobs/7', { data: 'late' });
      await expect(published).rejects.toBeInstanceOf(SseChannelFinishedError);
      await expect(published).rejects.toMatchObject({
        code: 'SSE_CHANNEL_FINISHED',
        channel: 'jobs/7',
      });
    });
  });

  describe('shutdown', () => {
    it.each<[string, (broadcast: BroadcastService) => Promise<unknown>]>([
      ['publish()', (broadcast) => broadcast.publish('rooms/1', { data: 'x' })],
      ['sendTo()', (broadcast) => broadcast.sendTo('nobody-1', { data: 'x' })],
      ['sendToUser()', (broadcast) => broadcast.sendToUser('ada', { data: 'x' })],
      ['finish()', (broadcast) => broadcast.finish('rooms/1')],
    ])('rejects %s with SseShutdownError once app shutdown has begun', async (_, call) => {
      const backend = new BackendClosingSlowly();
      const broadcast = await boot({ backend });
      const closed = (testing as TestingModule).close();
      testing = undefined;
      try {
        await backend.closing;
        const refused = call(broadcast);
        await expect(refused).rejects.toBeInstanceOf(SseShutdownError);
        await expect(refused).rejects.toMatchObject({
          code: 'SSE_SHUTTING_DOWN',
          outcomeUnknown: false,
        });
      } finally {
        backend.finishClosing();
        await closed;
      }
    });
  });
});
