import { afterEach, describe, expect, it } from '@jest/globals';
import { EventSource } from 'eventsource';
import { BroadcastService } from '../lib/index.js';
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
    const other = await openRawStream(`${running.url}/hub/jobs/10`);
    expect(other.status).toBe(200);
    other.close();
  });
});
