import { describe, expect, it } from '@jest/globals';
import { SSE_DEFAULTS } from '../sse.constants.js';
import { resolveSseOptions } from './resolve-sse-options.js';

describe('resolveSseOptions', () => {
  it('fills every omitted option with its default', () => {
    expect(resolveSseOptions(undefined)).toMatchObject(SSE_DEFAULTS);
    expect(resolveSseOptions({ retryMs: undefined })).toMatchObject(SSE_DEFAULTS);
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
  ])('rejects %j naming the option and its range', (input, message) => {
    expect(() => resolveSseOptions(input as never)).toThrow(message);
  });
});
