import { describe, expect, it } from '@jest/globals';
import { toSseEvent } from './to-sse-event.js';

describe('toSseEvent', () => {
  it('passes objects shaped like an event through', () => {
    const event = { data: 1, event: 'x', id: '1' };
    expect(toSseEvent(event)).toBe(event);
  });

  it('wraps plain values as the data of a message', () => {
    expect(toSseEvent('hi')).toEqual({ data: 'hi' });
    expect(toSseEvent({ text: 'hi' })).toEqual({ data: { text: 'hi' } });
  });

  it('treats an object with data and other keys as a payload, not an event', () => {
    expect(toSseEvent({ data: 1, user: 'a' })).toEqual({ data: { data: 1, user: 'a' } });
  });
});
