import { describe, expect, it } from '@jest/globals';
import { resolveSseOptions } from './resolve-sse-options.js';

describe('resolveSseOptions', () => {
  it('fills every omitted option with the default the README documents', () => {
    // Literal values, as in the README's option table: a changed default must change both.
    const documented = {
      backend: undefined,
      heartbeatIntervalMs: 15000,
      retryMs: 3000,
      userId: expect.any(Function),
      maxConnections: undefined,
      maxConnectionsPerUser: undefined,
      maxDurationMs: undefined,
      maxBufferedBytes: 1048576,
      slowConsumer: 'disconnect',
      history: { size: 100, maxAgeMs: undefined, maxChannels: 1000 },
      replayOnConnect: 0,
      channels: [],
      shutdownEvent: { event: 'shutdown', data: 'server shutting down' },
      shutdownTimeoutMs: 5000,
      finished: { ttlMs: 3600000, maxChannels: 10000 },
      metrics: { enabled: true, meterProvider: undefined, channelAttribute: undefined },
    };
    expect(resolveSseOptions(undefined)).toStrictEqual(documented);
    expect(resolveSseOptions({})).toStrictEqual(documented);
    expect(resolveSseOptions({ retryMs: undefined, history: {} })).toStrictEqual(documented);
  });

  it('takes the user id from request.user.id, else request.user.sub, by default', () => {
    const { userId } = resolveSseOptions(undefined);
    const request = (user: unknown) => ({ user }) as Parameters<typeof userId>[0];
    expect(userId(request({ id: 7, sub: 'other' }))).toBe('7');
    expect(userId(request({ sub: 'ada' }))).toBe('ada');
    expect(userId(request(undefined))).toBeUndefined();
  });

  it('keeps the values it is given', () => {
    expect(resolveSseOptions({ heartbeatIntervalMs: 50, retryMs: 0 })).toMatchObject({
      heartbeatIntervalMs: 50,
      retryMs: 0,
    });
  });

  it.each([
    [
      { heartbeatIntervalMs: 5 },
      'heartbeatIntervalMs must be an integer from 10 to 3600000 (got 5)',
    ],
    [
      { heartbeatIntervalMs: 1.5 },
      'heartbeatIntervalMs must be an integer from 10 to 3600000 (got 1.5)',
    ],
    [{ retryMs: -1 }, 'retryMs must be an integer from 0 to 3600000 (got -1)'],
    [{ retryMs: '100' }, 'retryMs must be an integer from 0 to 3600000 (got "100")'],
    [{ heartbeat: 100 }, 'heartbeat is not an SseModule option'],
    [{ shutdownEvent: { data: 'bye', id: 'a\nb' } }, 'shutdownEvent is not a valid event: '],
    [{ shutdownEvent: { data: 'bye', id: ' padded' } }, 'shutdownEvent is not a valid event: '],
  ])('rejects %j naming the option and its range', (input, message) => {
    expect(() => resolveSseOptions(input as never)).toThrow(message);
  });
});
