import { afterEach, describe, expect, it } from '@jest/globals';
import { EventSource } from 'eventsource';
import { BroadcastService, SseChannelFinishedError } from '../lib/index.js';
import { hubModule, Jobs } from './fixtures/hub.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { openRawStream } from './support/sse-clients.js';

describe.each(ADAPTERS)('finished streams on %s', (adapter) => {
  let running: RunningApp;
  let source: EventSource | undefined;
  afterEach(async () => {
    source?.close();
    await running?.close();
  });

  it('answers 204 when the handler throws SseFinishedException, and EventSource stops', async () => {
    running = await startApp(hubModule(), adapter);
    running.app.get(Jobs).done.add('7');
    const raw = await openRawStream(`${running.url}/hub/jobs/7`);
    expect(raw.status).toBe(204);
    await raw.ended;
    expect(raw.raw()).toBe('');
    // Nothing a body would carry: no ETag (Express computes one for the body it sends), no
    // content type.
    expect(raw.headers.etag).toBeUndefined();
    expect(raw.headers['content-type']).toBeUndefined();
    source = new EventSource(`${running.url}/hub/jobs/7`);
    await new Promise((resolve) => source?.addEventListener('error', resolve));
    expect(source.readyState).toBe(EventSource.CLOSED);
  });

  it('finish() ends open streams after a final event and answers later reconnects with 204', async () => {
    running = await startApp(hubModule(), adapter);
    const broadcast = running.app.get(BroadcastService);
    const stream = await openRawStream(`${running.url}/hub/jobs/9`);
    await stream.waitFor(() => stream.raw().includes('retry:'));
    expect(await broadcast.finish('jobs/9', { event: 'done', data: { ok: true } })).toEqual({
      ended: 1,
    });
    await stream.ended;
    expect(stream.events.map((e) => [e.event, e.data])).toEqual([['done', '{"ok":true}']]);
    const again = await openRawStream(`${running.url}/hub/jobs/9`, {
      'last-event-id': stream.events[0]?.id as string,
    });
    expect(again.status).toBe(204);
    expect(again.headers.etag).toBeUndefined();
    const other = await openRawStream(`${running.url}/hub/jobs/10`);
    expect(other.status).toBe(200);
    other.close();
  });

  it('refuses a publish to a finished channel, storing nothing, and accepts one once it is over', async () => {
    running = await startApp(hubModule({ finished: { ttlMs: 1000 } }), adapter);
    const broadcast = running.app.get(BroadcastService);
    await broadcast.publish('jobs/2', { data: 'step' });
    await broadcast.finish('jobs/2', { event: 'done', data: 'ok' });
    const late = broadcast.publish('jobs/2', { data: 'too late' });
    await expect(late).rejects.toThrow(SseChannelFinishedError);
    await expect(late).rejects.toMatchObject({
      code: 'SSE_CHANNEL_FINISHED',
      channel: 'jobs/2',
      message:
        'Channel "jobs/2" was finished with finish(): nothing can be published to it until finished.ttlMs has passed',
    });
    expect((await broadcast.history('jobs/2')).map((e) => e.data)).toEqual(['step', 'ok']);
    // Finishing it again renews it, and is no publish.
    await expect(broadcast.finish('jobs/2')).resolves.toEqual({ ended: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(broadcast.publish('jobs/2', { data: 'next run' })).resolves.toMatchObject({
      delivered: 0,
    });
  });

  it('answers 200 again once finished.ttlMs has passed', async () => {
    running = await startApp(hubModule({ finished: { ttlMs: 1000 } }), adapter);
    await running.app.get(BroadcastService).finish('jobs/1');
    expect((await openRawStream(`${running.url}/hub/jobs/1`)).status).toBe(204);
    // The shortest time-to-live the option allows has to pass.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const again = await openRawStream(`${running.url}/hub/jobs/1`);
    expect(again.status).toBe(200);
    again.close();
  });

  it('forgets the channel finished longest ago past finished.maxChannels', async () => {
    running = await startApp(hubModule({ finished: { maxChannels: 2 } }), adapter);
    const broadcast = running.app.get(BroadcastService);
    await broadcast.finish('jobs/1');
    await broadcast.finish('jobs/2');
    // Finishing again renews it: 'jobs/2' is now the oldest, and the third one pushes it out.
    await broadcast.finish('jobs/1');
    await broadcast.finish('jobs/3');
    const statuses: Record<string, number> = {};
    for (const job of ['1', '2', '3']) {
      const stream = await openRawStream(`${running.url}/hub/jobs/${job}`);
      statuses[job] = stream.status;
      stream.close();
    }
    expect(statuses).toEqual({ '1': 204, '2': 200, '3': 204 });
  });
});
