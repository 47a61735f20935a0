import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { filter, firstValueFrom } from 'rxjs';
import { BroadcastService, ConnectionRegistry } from '../lib/index.js';
import { clientModule, SESSION } from './fixtures/client.fixture.js';
import { startApp, type RunningApp } from './support/app.js';
import { BrowserPage, type LeavePage } from './support/browser.js';
import { HostileSseServer, sendAndEnd, status } from './support/hostile-sse-server.js';

/** The client in headless Chromium, against servers on other origins (ports) than the page. */
describe('client in a browser', () => {
  let browser: BrowserPage;
  let running: RunningApp | undefined;
  let hostile: HostileSseServer | undefined;

  beforeEach(async () => {
    browser = await BrowserPage.open();
  });
  afterEach(async () => {
    await browser?.close();
    (running?.app.getHttpServer() as Server | undefined)?.closeAllConnections();
    await running?.close();
    await hostile?.close();
    running = undefined;
    hostile = undefined;
  });

  /** The library's server, allowing the page's origin with credentials. */
  const startLibraryServer = async () => {
    running = await startApp(clientModule(), 'express', (app) =>
      app.enableCors({ origin: browser.origin, credentials: true }),
    );
    return running;
  };

  it('receives what the library server publishes', async () => {
    const { url, app } = await startLibraryServer();
    await browser.connect('news', `${url}/client/news`, {}, true);
    await browser.opened('news');
    const first = await app
      .get(BroadcastService)
      .publish('news', { data: { text: 'hello browser' } });
    await app.get(BroadcastService).publish('news', { event: 'typed', data: [1, 2] });
    const messages = await browser.waitForCount('news', 2);
    expect(messages).toEqual([
      { event: 'message', id: first.id, data: { text: 'hello browser' }, retry: 3000 },
      expect.objectContaining({ event: 'typed', data: [1, 2] }),
    ]);
  });

  it('reconnects after a dropped connection, sending Last-Event-ID', async () => {
    hostile = await HostileSseServer.start({ cors: true });
    let delivered: () => void = () => undefined;
    const received = new Promise<void>((resolve) => (delivered = resolve));
    hostile.route(
      '/feed',
      async (x) => {
        x.open();
        await x.write('retry: 10\nid: 1\ndata: one\n\nid: 2\ndata: two\n\n');
        // Drop once the page has both events: a reset may discard bytes not yet read.
        await received;
        x.drop();
      },
      sendAndEnd('id: 3\ndata: three\n\n'),
      status(204),
    );
    await browser.connect('feed', `${hostile.url}/feed`, { backoff: false });
    await browser.waitForCount('feed', 2);
    delivered();
    const messages = await browser.waitForEnd('feed');
    expect(messages.map((m) => [m.id, m.data])).toEqual([
      ['1', 'one'],
      ['2', 'two'],
      ['3', 'three'],
    ]);
    expect(hostile.requestsTo('/feed').map((r) => r.headers['last-event-id'])).toEqual([
      undefined,
      '2',
      '3',
    ]);
  });

  it("sends the page's cookies to another origin with credentials: 'include', and only then", async () => {
    const { url } = await startLibraryServer();
    await browser.setCookie(`session=${SESSION}; path=/`);
    await browser.connect('with', `${url}/client/private`, { credentials: 'include' });
    await browser.connect('without', `${url}/client/private`);
    await browser.opened('with');
    const refused = await browser.waitForError('without');
    expect(refused).toMatchObject({ name: 'SseHttpError', status: 403 });
    expect(JSON.parse(refused.body ?? '')).toMatchObject({ message: 'No valid session' });
    expect(await browser.state('with')).toBe('open');
  });

  it.each<LeavePage>(['navigate away', 'close the tab'])(
    'closes the stream when people %s, and the server sees the client leave',
    async (how) => {
      const { url, app } = await startLibraryServer();
      const registry = app.get(ConnectionRegistry);
      const left = firstValueFrom(
        registry.events$.pipe(filter((event) => event.type === 'disconnected')),
      );
      await browser.connect('news', `${url}/client/news`);
      await browser.opened('news');
      const [connection] = registry.list();
      await browser.reportOnPageHide();
      await browser.leave(how);
      // The client closed it in the browser's own pagehide, not the page's teardown after it.
      expect(await browser.pageHideReport()).toEqual({ news: 'closed' });
      expect(await left).toMatchObject({ connection: { id: connection?.id }, reason: 'client' });
      expect(registry.count()).toBe(0);
    },
  );

  it('leaves the stream open on pagehide with closeOnPageHide: false', async () => {
    const { url } = await startLibraryServer();
    await browser.connect('closes', `${url}/client/news`);
    await browser.connect('stays', `${url}/client/news`, { closeOnPageHide: false });
    await browser.opened('closes');
    await browser.opened('stays');
    await browser.reportOnPageHide();
    await browser.leave('navigate away');
    const report = await browser.pageHideReport();
    expect(report.closes).toBe('closed');
    // Chromium cuts the page's connections as it unloads it, so by now the stream may have
    // lost its own and be 'connecting'; what matters is that the client did not end it.
    expect(['open', 'connecting']).toContain(report.stays);
  });

  it('sends a POST body, preflighted across origins', async () => {
    hostile = await HostileSseServer.start({ cors: true });
    hostile.route('/search', sendAndEnd('data: result\n\n'), status(204));
    await browser.connect('search', `${hostile.url}/search`, {
      retryMs: 10,
      headers: { 'content-type': 'application/json' },
      body: '{"q":"sse"}',
    });
    expect((await browser.waitForEnd('search')).map((m) => m.data)).toEqual(['result']);
    const requests = hostile.requestsTo('/search');
    expect(requests.map((r) => [r.method, r.headers['content-type'], r.body])).toEqual([
      ['POST', 'application/json', '{"q":"sse"}'],
      ['POST', 'application/json', '{"q":"sse"}'],
    ]);
    expect(requests[0]?.headers.origin).toBe(browser.origin);
  });
});
