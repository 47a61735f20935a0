import { describe, expect, it } from '@jest/globals';
import { SseEventError } from '../errors/sse-event.error.js';
import { toSseEvent, type EventSender } from './to-sse-event.js';

const handler: EventSender = { name: 'the handler', mayChooseId: true };
const publish: EventSender = { name: 'publish()', mayChooseId: false };

describe('toSseEvent', () => {
  it('takes an event object as it is', () => {
    expect(toSseEvent({ data: 1, event: 'x', id: '1', retry: 5, comment: 'c' }, handler)).toEqual({
      data: 1,
      event: 'x',
      id: '1',
      retry: 5,
      comment: 'c',
    });
  });

  it("reads NestJS's MessageEvent, whose type is the event name", () => {
    expect(toSseEvent({ type: 'tick', id: '7', data: { n: 1 }, retry: 10 }, handler)).toMatchObject(
      { event: 'tick', id: '7', data: { n: 1 }, retry: 10 },
    );
  });

  it.each([
    ['a string', 'hi'],
    ['a number', 5],
    ['null', null],
    ['an array', [{ data: 1 }]],
    ['an object without data', { text: 'hi' }],
  ])('refuses %s, saying to wrap it', (_, value) => {
    expect(() => toSseEvent(value, handler)).toThrow(SseEventError);
    expect(() => toSseEvent(value, handler)).toThrow(
      /the handler takes an event object .*\{ data: value \}/,
    );
  });

  it('refuses a payload that has a data key among others, naming the key', () => {
    expect(() => toSseEvent({ data: 1, user: 'a' }, handler)).toThrow(/the key "user"/);
  });

  it('refuses an id where the backend assigns it, naming the method', () => {
    expect(() => toSseEvent({ id: 'row-7', data: {} }, publish)).toThrow(
      /^publish\(\) assigns the id of a channel event itself/,
    );
    expect(() => toSseEvent({ id: 5, data: 'x' }, publish)).toThrow(SseEventError);
  });

  it('refuses both event and type, and names in the library namespace', () => {
    expect(() => toSseEvent({ event: 'a', type: 'b', data: 1 }, handler)).toThrow(
      /both "event" and "type"/,
    );
    expect(() => toSseEvent({ event: 'sse:reset', data: 1 }, handler)).toThrow(/"sse:" namespace/);
    expect(() => toSseEvent({ type: 'sse:anything', data: 1 }, handler)).toThrow(
      /"sse:" namespace/,
    );
  });
});
