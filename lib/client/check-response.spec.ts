import { describe, expect, it } from '@jest/globals';
import { isEventStream } from './check-response.js';

describe('isEventStream', () => {
  it.each(['text/event-stream', 'text/event-stream; charset=utf-8', 'Text/Event-Stream ;x=y'])(
    'accepts %j',
    (contentType) => expect(isEventStream(contentType)).toBe(true),
  );

  it.each([null, '', 'text/plain', 'text/event-streams', 'application/json; x=text/event-stream'])(
    'refuses %j',
    (contentType) => expect(isEventStream(contentType)).toBe(false),
  );
});
