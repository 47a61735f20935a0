import { describe, expect, it } from '@jest/globals';
import { SSE_CLIENT_DEFAULTS } from './client.constants.js';
import { resolveClientOptions } from './resolve-client-options.js';

describe('resolveClientOptions', () => {
  it('fills in every default', () => {
    const resolved = resolveClientOptions({});
    expect(resolved).toMatchObject({
      method: 'GET',
      retryMs: SSE_CLIENT_DEFAULTS.retryMs,
      maxRetries: Number.POSITIVE_INFINITY,
      backoff: SSE_CLIENT_DEFAULTS.backoff,
      heartbeatTimeoutMs: SSE_CLIENT_DEFAULTS.heartbeatTimeoutMs,
      dedupeWindow: SSE_CLIENT_DEFAULTS.dedupeWindow,
      bufferSize: SSE_CLIENT_DEFAULTS.bufferSize,
      maxEventSize: SSE_CLIENT_DEFAULTS.maxEventSize,
      closeOnPageHide: true,
    });
    expect(typeof resolved.fetch).toBe('function');
  });

  it('sends POST when a body is given without a method', () => {
    expect(resolveClientOptions({ body: '{}' }).method).toBe('POST');
    expect(resolveClientOptions({ body: '{}', method: 'put' }).method).toBe('PUT');
  });

  it.each(['GET', 'HEAD'])('refuses a body with %s', (method) => {
    expect(() => resolveClientOptions({ method, body: 'x' })).toThrow(
      `SSE client: a request body cannot be sent with ${method}`,
    );
  });

  it('merges a partial backoff with the defaults, and takes false as no backoff', () => {
    expect(resolveClientOptions({ backoff: { maxMs: 5 } }).backoff).toEqual({
      ...SSE_CLIENT_DEFAULTS.backoff,
      maxMs: 5,
    });
    expect(resolveClientOptions({ backoff: false }).backoff).toBe(false);
  });

  it.each([
    ['retryMs', { retryMs: -1 }, 'an integer from 0 to 3600000', '-1'],
    ['retryMs', { retryMs: 1.5 }, 'an integer from 0 to 3600000', '1.5'],
    ['maxRetries', { maxRetries: -1 }, 'an integer >= 0 or Infinity', '-1'],
    ['maxRetries', { maxRetries: Number.NaN }, 'an integer >= 0 or Infinity', 'null'],
    [
      'heartbeatTimeoutMs',
      { heartbeatTimeoutMs: 2 ** 31 },
      'an integer from 0 to 2147483647',
      '2147483648',
    ],
    ['dedupeWindow', { dedupeWindow: 100_001 }, 'an integer from 0 to 100000', '100001'],
    ['bufferSize', { bufferSize: 0 }, 'an integer from 1 to 100000', '0'],
    ['maxEventSize', { maxEventSize: 0 }, 'an integer from 1 to 268435456', '0'],
    ['backoff.factor', { backoff: { factor: 0.5 } }, 'a number from 1 to 100', '0.5'],
    ['backoff.jitter', { backoff: { jitter: 2 } }, 'a number from 0 to 1', '2'],
    ['backoff.maxMs', { backoff: { maxMs: -5 } }, 'an integer from 0 to 3600000', '-5'],
  ])('refuses an out-of-range %s, naming it and its range', (option, options, range, got) => {
    expect(() => resolveClientOptions(options)).toThrow(
      new RangeError(`SSE client option "${option}" must be ${range} (got ${got})`),
    );
  });

  it('refuses a lastEventId that is not a string or could not be a header', () => {
    expect(() => resolveClientOptions({ lastEventId: 42 as unknown as string })).toThrow(
      'SSE client option "lastEventId" must be a string without CR, LF or NUL (got 42)',
    );
    expect(() => resolveClientOptions({ lastEventId: 'a\nb' })).toThrow(
      'SSE client option "lastEventId" must be a string without CR, LF or NUL (got "a\\nb")',
    );
  });

  it('refuses invalid static headers at once', () => {
    // Matched by message: the TypeError comes from another realm (Node's fetch) under Jest.
    expect(() => resolveClientOptions({ headers: { 'bad name': 'x' } })).toThrow(
      /invalid header name/,
    );
  });

  it('accepts Infinity retries and 0 for the switches that turn features off', () => {
    const resolved = resolveClientOptions({
      maxRetries: Number.POSITIVE_INFINITY,
      heartbeatTimeoutMs: 0,
      dedupeWindow: 0,
    });
    expect([resolved.maxRetries, resolved.heartbeatTimeoutMs, resolved.dedupeWindow]).toEqual([
      Number.POSITIVE_INFINITY,
      0,
      0,
    ]);
  });
});
