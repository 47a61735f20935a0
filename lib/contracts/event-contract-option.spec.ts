import { describe, expect, it } from '@jest/globals';
import { resolveSseOptions } from '../options/resolve-sse-options.js';
import { SseMessages } from '../sse.messages.js';
import { defineSseEvents, ssePayload } from './define-sse-events.js';

describe('the channels[].events option', () => {
  it('takes a contract made by defineSseEvents()', () => {
    const events = defineSseEvents({ message: ssePayload<string>() });
    const options = resolveSseOptions({ channels: [{ pattern: 'rooms/*', events }] });
    expect(options.channels[0]?.events).toBe(events);
  });

  it('fails the boot, naming the option, for anything else', () => {
    const events = { message: 'text' };
    expect(() =>
      resolveSseOptions({ channels: [{ pattern: 'rooms/*', events: events as never }] }),
    ).toThrow(`channels[0].events must be ${SseMessages.notAContract()}`);
  });
});
