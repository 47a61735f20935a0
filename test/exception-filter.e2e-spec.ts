import { afterEach, describe, expect, it } from '@jest/globals';
import { BroadcastService, SseChannelNameError } from '../lib/index.js';
import { publishingModule } from './fixtures/publishing.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';

/**
 * Every way BroadcastService refuses input is a named error; SseExceptionFilter answers them
 * with the status that fits and the reason, for apps that pass user input on.
 */
describe.each(ADAPTERS)('SseExceptionFilter on %s', (adapter) => {
  let running: RunningApp;
  afterEach(() => running?.close());

  const post = async (path: string, body: unknown = {}) => {
    const response = await fetch(`${running.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it.each([
    [
      'an event name with a line break',
      '/rooms%2F1',
      { event: 'a\nb', data: 'x' },
      'SSE_INVALID_EVENT',
      'SSE event field "event" must not contain CR, LF or NUL (got "a\\nb")',
    ],
    [
      'an event name in the library namespace',
      '/rooms%2F1',
      { event: 'sse:reset', data: 'x' },
      'SSE_INVALID_EVENT',
      'SSE event name "sse:reset" is in the "sse:" namespace, which the library keeps for its own events',
    ],
    [
      'a channel name with a control character',
      '/rooms%01',
      { data: 'x' },
      'SSE_INVALID_CHANNEL',
      'Invalid SSE channel name "rooms\\u0001": expected 1 to 200 characters without control characters',
    ],
    [
      'a payload its channel DTO refuses',
      '/notes%2F1',
      { data: { text: '' } },
      'SSE_INVALID_PAYLOAD',
      'Payload for channel "notes/1" is invalid: text must be longer than or equal to 1 characters',
    ],
  ])('answers 400 with the reason for %s', async (_, channel, body, code, message) => {
    running = await startApp(publishingModule(true), adapter);
    const answer = await post(`/publish${channel}`, body);
    expect(answer).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message, code },
    });
  });

  it('answers 409 for a publish to a finished channel', async () => {
    running = await startApp(publishingModule(true), adapter);
    expect((await post('/publish/jobs%2F1/finish')).status).toBe(201);
    expect(await post('/publish/jobs%2F1', { data: 'late' })).toMatchObject({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', code: 'SSE_CHANNEL_FINISHED' },
    });
  });

  it('applies to the controllers it is put on; elsewhere the error is a plain 500', async () => {
    running = await startApp(publishingModule(false), adapter);
    expect((await post('/filtered/rooms%01', { data: 'x' })).status).toBe(400);
    expect(await post('/publish/rooms%01', { data: 'x' })).toEqual({
      status: 500,
      body: { statusCode: 500, message: 'Internal server error' },
    });
    // Still a named error, for the app's own handling.
    await expect(
      running.app.get(BroadcastService).publish('rooms\u0001', { data: 'x' }),
    ).rejects.toThrow(SseChannelNameError);
  });
});
