import { describe, expect, it } from '@jest/globals';
import { SseMessages } from '../sse.messages.js';
import {
  defineSseEvents,
  eventSpecOf,
  isEventContract,
  payloadClassOf,
  ssePayload,
} from './define-sse-events.js';

class ChatMessage {
  text!: string;
}

describe('defineSseEvents', () => {
  it('returns a frozen contract holding each event with its payload', () => {
    const typing = ssePayload<{ user: string }>();
    const contract = defineSseEvents({ message: ChatMessage, typing });
    expect(contract.events).toEqual({ message: ChatMessage, typing });
    expect(Object.isFrozen(contract) && Object.isFrozen(contract.events)).toBe(true);
  });

  it.each([[''], ['a\nb'], ['a\rb'], ['a\0b'], ['sse:reset']])(
    'refuses the event name %j, which the wire or the library keeps',
    (name) => {
      expect(() => defineSseEvents({ [name]: ChatMessage })).toThrow(
        SseMessages.contractEventName(name),
      );
    },
  );

  it('refuses a payload that is neither a class nor ssePayload()', () => {
    expect(() => defineSseEvents({ message: { text: 'hi' } } as never)).toThrow(
      SseMessages.contractPayload('message', { text: 'hi' }),
    );
  });

  it('refuses something that is not an object of events', () => {
    expect(() => defineSseEvents(null as never)).toThrow(SseMessages.contractNotAnObject(null));
  });
});

describe('reading a contract', () => {
  const contract = defineSseEvents({ message: ChatMessage, typing: ssePayload<string>() });

  it('finds the class of an event declared with one, and none for a type', () => {
    expect(payloadClassOf(contract, 'message')).toBe(ChatMessage);
    expect(payloadClassOf(contract, 'typing')).toBeUndefined();
  });

  it('does not take inherited properties for events', () => {
    expect(eventSpecOf(contract, 'constructor')).toBeUndefined();
    expect(eventSpecOf(contract, 'toString')).toBeUndefined();
  });

  it('recognises contracts by their shape', () => {
    expect(isEventContract(contract)).toBe(true);
    expect(isEventContract({ events: { message: 42 } })).toBe(false);
    expect(isEventContract(ChatMessage)).toBe(false);
  });
});
