import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { SseRegistryStats } from '../lib/index.js';
import { launchChromium, type Chromium } from './support/chromium.js';
import { startSample, type Instance } from './support/instances.js';
import { SamplePages, sessionCookie, textsOf, waitForText } from './support/sample-pages.js';
import { waitUntil } from './support/wait.js';

interface OpenApiSchema {
  readonly oneOf?: readonly OpenApiSchema[];
  readonly properties?: Readonly<Record<string, unknown>>;
}
interface OpenApiDocument {
  readonly paths: Readonly<
    Record<
      string,
      {
        readonly get?: {
          readonly responses: Readonly<
            Record<string, { readonly content?: Record<string, { schema?: OpenApiSchema }> }>
          >;
        };
      }
    >
  >;
}

/**
 * The sample app as a person uses it: started as `npm run sample` starts it (its own process,
 * in-memory backend), its pages driven in headless Chromium.
 */
describe('sample app in a browser', () => {
  let sample: Instance;
  let chromium: Chromium;
  let pages: SamplePages;

  beforeAll(async () => {
    sample = await startSample();
    chromium = await launchChromium();
    pages = new SamplePages(chromium, sample.url);
  });
  afterEach(async () => {
    const errors = pages.errors();
    await pages.closeAll();
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await chromium?.close();
    await sample?.stop();
  });

  const room = () => `room-${randomUUID().slice(0, 8)}`;
  const postChat = (name: string, author: string, text: string) =>
    sample.post(`/rooms/${name}/messages`, { author, text });
  const signIn = async (name: string) => {
    const page = await pages.open('/private.html');
    await page.fill('#name', name);
    await page.click('#login button');
    await waitForText(page.locator('#who'), `signed in as ${name}`);
    return page;
  };

  it('links every demo from the landing page, and every page loads', async () => {
    const landing = await pages.open('/');
    const links = await landing
      .locator('.demos a')
      .evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')));
    expect(links).toEqual([
      '/chat.html',
      '/tokens.html',
      '/jobs.html',
      '/dashboard.html',
      '/private.html',
      '/activity.html',
    ]);
    for (const link of links) {
      const page = await pages.open(link ?? '');
      expect(await page.locator('h1').textContent()).toBeTruthy();
    }
  });

  it('says on the landing page which backend it runs on', async () => {
    const landing = await pages.open('/');
    await waitForText(landing.locator('#backend'), 'Backend: in-memory, this process only.');
  });

  describe('chat', () => {
    it('shows messages to everyone in the room, and the history after a reload', async () => {
      const name = room();
      const ada = await pages.open(`/chat.html?room=${name}`);
      const bob = await pages.open(`/chat.html?room=${name}`);
      await waitForText(ada.locator('#status'), 'connected');
      await waitForText(bob.locator('#status'), 'connected');

      await ada.fill('#author', 'ada');
      await ada.fill('#text', 'hello bob');
      await ada.click('#send button');
      await waitForText(bob.locator('#log p'), 'ada: hello bob');
      await waitForText(ada.locator('#log p'), 'ada: hello bob');

      // A reloaded page is a new EventSource, without Last-Event-ID: replayOnConnect sends the
      // history.
      const stream = bob.waitForRequest((request) =>
        request.url().endsWith(`/rooms/${name}/events`),
      );
      await bob.reload();
      expect((await (await stream).allHeaders())['last-event-id']).toBeUndefined();
      await waitForText(bob.locator('#log p'), 'ada: hello bob');
      expect(await textsOf(bob.locator('#log p'))).toEqual(['ada: hello bob']);
    });

    it('shows a new page the last 50 messages of the room', async () => {
      const name = room();
      for (let n = 1; n <= 52; n++)
        expect((await postChat(name, 'ada', `message ${n}`)).status).toBe(202);
      const page = await pages.open(`/chat.html?room=${name}`);
      await waitForText(page.locator('#log p').last(), 'ada: message 52');
      const shown = await textsOf(page.locator('#log p'));
      expect(shown).toHaveLength(50);
      expect([shown[0], shown[49]]).toEqual(['ada: message 3', 'ada: message 52']);
    });

    it('rejects an invalid message with the validation error, publishing nothing', async () => {
      const name = room();
      const page = await pages.open(`/chat.html?room=${name}`);
      await waitForText(page.locator('#status'), 'connected');
      const rejected = await postChat(name, 'ada', 'x'.repeat(501));
      expect(rejected.status).toBe(400);
      await postChat(name, 'ada', 'after the rejected one');
      await waitForText(page.locator('#log p'), 'after the rejected one');
      expect(await textsOf(page.locator('#log p'))).toEqual(['ada: after the rejected one']);
    });

    it('after a dropped connection, shows what was missed, once (Last-Event-ID)', async () => {
      const name = room();
      await signIn('operator');
      const chat = await pages.open(`/chat.html?room=${name}`);
      await waitForText(chat.locator('#status'), 'connected');
      await postChat(name, 'ada', 'before the drop');
      await waitForText(chat.locator('#log p'), 'before the drop');

      // The dashboard lists the chat page's connection; its button ends it on the server.
      const dashboard = await pages.open('/dashboard.html');
      const row = dashboard.locator('#recent tr', { hasText: `rooms/${name}` });
      await row.waitFor();
      const reconnect = chat.waitForRequest((request) =>
        request.url().endsWith(`/rooms/${name}/events`),
      );
      await row.locator('button').click();
      await waitForText(dashboard.locator('#action'), 'disconnected');
      await waitForText(chat.locator('#status'), 'reconnecting');
      await postChat(name, 'ada', 'while it was away');
      expect((await (await reconnect).allHeaders())['last-event-id']).toBe(
        await chat.locator('#log p').first().getAttribute('data-id'),
      );

      await waitForText(chat.locator('#log p').nth(1), 'while it was away');
      await waitForText(chat.locator('#status'), 'connected');
      await postChat(name, 'ada', 'after it came back');
      await waitForText(chat.locator('#log p').nth(2), 'after it came back');
      expect(await textsOf(chat.locator('#log p'))).toEqual([
        'ada: before the drop',
        'ada: while it was away',
        'ada: after it came back',
      ]);
    });
    it('after missing more than the room history holds, reloads the room on sse:reset', async () => {
      const name = room();
      await signIn('operator');
      const chat = await pages.open(`/chat.html?room=${name}`);
      await waitForText(chat.locator('#status'), 'connected');
      await postChat(name, 'ada', 'seen');
      await waitForText(chat.locator('#log p'), 'seen');
      // The reconnect waits until the room has moved on by more than its history (200).
      let published: () => void = () => undefined;
      const moved = new Promise<void>((resolve) => (published = resolve));
      await chat.route(`**/rooms/${name}/events`, async (route) => {
        await moved;
        await route.continue();
      });
      const dashboard = await pages.open('/dashboard.html');
      const row = dashboard.locator('#recent tr', { hasText: `rooms/${name}` });
      await row.waitFor();
      await row.locator('button').click();
      await waitForText(chat.locator('#status'), 'reconnecting');
      for (let i = 0; i < 210; i += 30)
        await Promise.all(
          Array.from({ length: 30 }, (_, j) => postChat(name, 'bob', `missed ${i + j}`)),
        );
      published();
      await waitForText(chat.locator('#status'), 'reloaded: some messages were missed');
      const shown = await textsOf(chat.locator('#log p'));
      expect(shown).toHaveLength(50);
      expect(shown).not.toContain('ada: seen');
      expect(new Set(shown).size).toBe(50);
    });
  });

  describe('token streaming', () => {
    it('streams the answer to a posted prompt as start, token and done events', async () => {
      const page = await pages.open('/tokens.html');
      await page.fill('#prompt', 'Tell me about Server-Sent Events');
      const posted = page.waitForResponse((response) => response.url().endsWith('/completions'));
      await page.click('#generate');
      const { id } = (await (await posted).json()) as { id: string };
      await waitForText(page.locator('#state'), /^done: 9 tokens in \d+ ms$/);
      expect(await page.locator('#output').textContent()).toBe(
        'You wrote 5 words: "Tell me about Server-Sent Events"',
      );
      expect(await page.locator('#events').textContent()).toBe('events: start, token ×9, done');
      // Only the start event carries the model and the completion's id.
      expect(await page.locator('#model').textContent()).toBe(
        `model “echo”, completion ${id.slice(0, 8)}`,
      );
    });

    it('stops generating when the reader stops, and answers a reconnect with 204', async () => {
      const page = await pages.open('/tokens.html');
      await page.fill('#prompt', 'word '.repeat(300));
      const posted = page.waitForResponse((response) => response.url().endsWith('/completions'));
      await page.click('#generate');
      const { events } = (await (await posted).json()) as { events: string };
      await waitForText(page.locator('#output'), 'word word');
      await page.click('#stop');
      await waitForText(page.locator('#state'), 'stopped');
      expect(await page.locator('#events').textContent()).toMatch(/^events: start, token ×\d+$/);

      await waitUntil(
        () => /completion \S+ stopped after \d+ tokens: the client left/.test(sample.output()),
        () => `the generator did not stop:\n${sample.output()}`,
      );
      const again = await fetch(`${sample.url}${events}`);
      expect(again.status).toBe(204);
    });
  });

  describe('job progress', () => {
    it('shows a job progressing to its result; its finished stream answers 204', async () => {
      const page = await pages.open('/jobs.html');
      await waitForText(page.locator('#status'), 'connected');
      // 50 segments, 25 ms apart at least: more than a second of progress to watch.
      await page.fill('#limit', '5000000');
      const finished = page.waitForResponse(
        (response) => /\/jobs\/[\w-]+\/events$/.test(response.url()) && response.status() === 204,
      );
      await page.click('#start button');

      const row = page.locator('#jobs tr').first();
      // The percentage is written by the job's progress stream alone (status events carry only
      // 0 and 100, and set the bar): a value in between came from a progress event.
      await waitForText(row.locator('.percent'), /^[1-9]\d?%$/);
      await waitForText(row.locator('.status'), 'succeeded');
      expect(await row.locator('.result').textContent()).toBe('348513 primes');
      expect(await row.locator('.percent').textContent()).toBe('100%');
      expect(await row.locator('progress').evaluate((bar: { value: number }) => bar.value)).toBe(
        100,
      );
      await finished;
      await waitForText(row.locator('.stream'), 'closed: the server answered 204');
      const events = /\((\d+) progress events\)/.exec(
        (await row.locator('.stream').textContent()) ?? '',
      );
      expect(Number(events?.[1])).toBeGreaterThan(1);
    });

    it('refuses an out-of-range job with the validation message', async () => {
      const response = await sample.post<{ message: string[] }>('/jobs', { limit: 5 });
      expect(response.status).toBe(400);
      expect(response.body.message).toEqual(['limit must not be less than 1000']);
    });
  });

  describe('dashboard', () => {
    it('shows live registry figures: connections, channels, drops, events per second, a chart', async () => {
      const name = room();
      const cookie = await sessionCookie(sample.url, 'auditor');
      const registry = async () => {
        const response = await fetch(`${sample.url}/admin/sse/stats`, { headers: { cookie } });
        return (await response.json()) as SseRegistryStats;
      };
      const dashboard = await pages.open('/dashboard.html');
      await waitForText(dashboard.locator('#status'), 'live');
      const chat = await pages.open(`/chat.html?room=${name}`);
      await waitForText(chat.locator('#status'), 'connected');

      const channelRow = dashboard.locator('#channels tr', { hasText: `rooms/${name}` });
      await waitForText(channelRow, `rooms/${name}1`);
      // The dashboard's own stream and the chat page's: all that is open now.
      await waitForText(dashboard.locator('#connections'), /^2$/);
      const stats = await registry();
      expect([stats.connections, stats.channels[`rooms/${name}`]]).toEqual([2, 1]);
      expect(await dashboard.locator('#dropped').textContent()).toBe(String(stats.droppedEvents));
      // The dashboard's own stream gets one event a second, so the rate is never 0 once measured.
      await waitForText(dashboard.locator('#rate'), /^[1-9]\d*$/);
      const inked = await dashboard.locator('#chart').evaluate((canvas: HTMLCanvasElementLike) => {
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        return data.some((value, index) => index % 4 === 3 && value > 0);
      });
      expect(inked).toBe(true);

      await chat.close();
      await waitForText(dashboard.locator('#connections'), /^1$/);
      const after = await registry();
      expect(after.connections).toBe(1);
      await waitForText(
        dashboard.locator('#disconnects'),
        new RegExp(`(^|, )client: ${after.disconnects.client}(,|$)`),
      );
    });

    it('lets only signed-in users disconnect a connection or read the admin routes', async () => {
      const response = await sample.post('/dashboard/connections/any/disconnect', {});
      expect(response.status).toBe(401);
      expect((await sample.get('/admin/sse/stats')).status).toBe(401);
    });
  });

  describe('observability', () => {
    it("shows the library's OpenTelemetry metrics on the dashboard, as /metrics exposes them", async () => {
      const dashboard = await pages.open('/dashboard.html');
      await waitForText(dashboard.locator('#status'), 'live');
      const streams = dashboard.locator('#metrics tr', { hasText: 'sse.server.active_streams' });
      // The dashboard's own stream is open on its route, whatever else other tests left open.
      await waitForText(
        streams.filter({ hasText: 'http.route=/dashboard/events' }),
        /sse\.server\.active_streams.*[1-9]\d*$/,
      );
      const scrape = await fetch(`${sample.url}/metrics`);
      expect(scrape.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await scrape.text()).toMatch(
        /^sse_server_active_streams\{http_route="\/dashboard\/events"[^}]*\} [1-9]\d*$/m,
      );
    });

    it('counts a refused stream by its outcome at /metrics', async () => {
      // The private inbox's guard refuses an anonymous EventSource before the library sees it.
      const refused = await fetch(`${sample.url}/private/events`, {
        headers: { accept: 'text/event-stream' },
      });
      expect(refused.status).toBe(401);
      const text = await (await fetch(`${sample.url}/metrics`)).text();
      expect(text).toMatch(
        /^sse_server_connection_attempts_total\{[^}]*sse_connection_outcome="denied"[^}]*\} [1-9]\d*$/m,
      );
    });

    it('documents its streams at /api: Swagger UI, and an OpenAPI document with their events', async () => {
      const ui = await fetch(`${sample.url}/api`);
      expect([ui.status, ui.headers.get('content-type')]).toEqual([
        200,
        'text/html; charset=utf-8',
      ]);
      const document = (await (await fetch(`${sample.url}/api-json`)).json()) as OpenApiDocument;
      const room = document.paths['/rooms/{room}/events']?.get;
      const stream = room?.responses['200']?.content?.['text/event-stream']?.schema;
      expect(stream?.oneOf?.map((event) => event.properties?.data)).toEqual([
        { $ref: '#/components/schemas/ChatMessageDto' },
      ]);
      expect(Object.keys(room?.responses ?? {})).toEqual(
        expect.arrayContaining(['200', '204', '400', '429', '503']),
      );
      // The inbox's controller is guarded: its stream documents the guard's refusals.
      const inbox = document.paths['/private/events']?.get?.responses ?? {};
      expect(Object.keys(inbox)).toEqual(expect.arrayContaining(['401', '403']));
    });

    it('reports readiness with the SSE figures at /health', async () => {
      const response = await fetch(`${sample.url}/health`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        status: string;
        details: { sse: { status: string; maxConnections: number; stopping: boolean } };
      };
      expect(body.status).toBe('ok');
      expect(body.details.sse).toMatchObject({
        status: 'up',
        maxConnections: 1000,
        stopping: false,
        backend: { available: true },
      });
    });
  });

  describe('private inbox', () => {
    it('is closed to anonymous visitors (401), open after signing in', async () => {
      const anonymous = await pages.open('/private.html');
      await waitForText(anonymous.locator('#who'), 'not signed in');
      await waitForText(anonymous.locator('#status'), 'closed (401: sign in first)');
      const raw = await fetch(`${sample.url}/private/events`, {
        headers: { cookie: 'sample_session=mallory.forged-signature' },
      });
      expect(raw.status).toBe(401);
      expect(raw.headers.get('content-type')).toMatch(/^application\/json/);

      await signIn('alice');
      const inbox = await pages.open('/private.html');
      await waitForText(inbox.locator('#status'), 'connected');
    });

    it("delivers a note to its recipient's inbox and nobody else's", async () => {
      const alice = await signIn('alice');
      await waitForText(alice.locator('#status'), 'connected');
      const other = await launchChromium();
      try {
        const bobPages = new SamplePages(other, sample.url);
        const bob = await bobPages.open('/private.html');
        await bob.fill('#name', 'bob');
        await bob.click('#login button');
        await waitForText(bob.locator('#status'), 'connected');
        await bob.fill('#to', 'alice');
        await bob.fill('#text', 'lunch at noon?');
        await bob.click('#note button');
        await waitForText(bob.locator('#sent'), 'sent to alice (1 open stream(s) here)');

        await waitForText(alice.locator('#inbox p'), 'bob: lunch at noon?');
        expect(await textsOf(bob.locator('#inbox p'))).toEqual([]);
        expect(bobPages.errors()).toEqual([]);
      } finally {
        await other.close();
      }
    });
    it('keeps notes for a user who is away, and shows them when they sign in', async () => {
      const cookie = await sessionCookie(sample.url, 'frank');
      const sent = await fetch(`${sample.url}/private/notes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ to: 'erin', text: 'read this when you are back' }),
      });
      expect(await sent.json()).toEqual(expect.objectContaining({ delivered: 0 }));

      const erin = await signIn('erin');
      await waitForText(erin.locator('#inbox p'), 'frank: read this when you are back');
    });
  });

  describe('activity feed (htmx)', () => {
    it('swaps HTML fragments into the page, with an out-of-band update, escaping user text', async () => {
      const page = await pages.open('/activity.html');
      await page.waitForFunction(() => 'htmx' in globalThis);
      const name = room();
      const hostile = '<img src=x onerror="document.title=\'pwned\'"> & <b>bold</b>';
      // Whether the extension's stream is open yet or not, the event arrives: the channel
      // replays its last 20 events to a new connection.
      await postChat(name, 'eve', hostile);

      const item = page.locator('#feed li', { hasText: `#${name}` });
      await waitForText(item, `eve in #${name}: ${hostile}`);
      expect(await page.locator('#feed img, #feed b').count()).toBe(0);
      await waitForText(page.locator('#activity-latest'), /^Latest: chat at \d\d:\d\d:\d\d$/);
      expect(await page.title()).not.toBe('pwned');
    });
  });
});

/** The parts of a canvas the test reads in the page. */
interface HTMLCanvasElementLike {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}
