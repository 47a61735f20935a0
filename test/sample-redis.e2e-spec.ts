import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { launchChromium, type Chromium } from './support/chromium.js';
import { startSample, type Instance } from './support/instances.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { SamplePages, sessionCookie, textsOf, waitForText } from './support/sample-pages.js';

/**
 * The sample app with SSE_REDIS_URL set, as two instances behind an imaginary load balancer:
 * what a person does on one instance shows on pages served by the other.
 */
describe('sample app on Redis, two instances', () => {
  let redis: RedisServer;
  let a: Instance;
  let b: Instance;
  let chromium: Chromium;
  let pagesOnB: SamplePages;

  beforeAll(async () => {
    redis = await startRedis();
    const env = { SSE_REDIS_URL: redis.url, SESSION_SECRET: randomUUID() };
    [a, b] = await Promise.all([startSample(env), startSample(env)]);
    chromium = await launchChromium();
    pagesOnB = new SamplePages(chromium, b.url);
  });
  afterEach(async () => {
    const errors = pagesOnB.errors();
    await pagesOnB.closeAll();
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await chromium?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.dispose();
  });

  it('says which backend it runs on', async () => {
    expect(a.output()).toContain(`sample (Redis at ${redis.url})`);
    const landing = await pagesOnB.open('/');
    await waitForText(landing.locator('#backend'), 'Backend: Redis (SSE_REDIS_URL).');
  });

  it('shows a message posted on one instance to a chat page on the other, and its history', async () => {
    const room = `room-${randomUUID().slice(0, 8)}`;
    const chat = await pagesOnB.open(`/chat.html?room=${room}`);
    await waitForText(chat.locator('#status'), 'connected');
    expect(
      (await a.post(`/rooms/${room}/messages`, { author: 'ada', text: 'from A' })).status,
    ).toBe(202);
    await waitForText(chat.locator('#log p'), 'ada: from A');

    // History lives in Redis: a page opened later on B shows what was posted on A.
    const later = await pagesOnB.open(`/chat.html?room=${room}`);
    await waitForText(later.locator('#log p'), 'ada: from A');
    expect(await textsOf(later.locator('#log p'))).toEqual(['ada: from A']);
  });

  it("streams a job's progress from the instance running it to a page on the other, then 204", async () => {
    const jobs = await pagesOnB.open('/jobs.html');
    await waitForText(jobs.locator('#status'), 'connected');
    const started = await a.post<{ id: string }>('/jobs', { limit: 1_000_000 });
    expect(started.status).toBe(201);

    const row = jobs.locator(`#job-${started.body.id}`);
    await waitForText(row.locator('.status'), 'succeeded');
    expect(await row.locator('.result').textContent()).toBe('78498 primes');
    await waitForText(row.locator('.stream'), 'closed: the server answered 204');
  });

  it('accepts a session from one instance on the other, and delivers notes across them', async () => {
    const cookie = await sessionCookie(a.url, 'carol');
    expect(cookie).toMatch(/^sample_session=carol\./);

    const inbox = await pagesOnB.open('/private.html');
    await inbox.fill('#name', 'dave');
    await inbox.click('#login button');
    await waitForText(inbox.locator('#status'), 'connected');
    const sent = await fetch(`${a.url}/private/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ to: 'dave', text: 'sent through A' }),
    });
    expect(sent.status).toBe(201);
    await waitForText(inbox.locator('#inbox p'), 'carol: sent through A');
  });

  it('counts both instances on the dashboard', async () => {
    const dashboard = await pagesOnB.open('/dashboard.html');
    await waitForText(dashboard.locator('#instances'), '2');
  });
});
