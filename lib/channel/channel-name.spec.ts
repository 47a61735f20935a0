import { describe, expect, it } from '@jest/globals';
import { SseChannelNameError } from '../errors/sse-channel-name.error.js';
import { SseMessages } from '../sse.messages.js';
import { checkedChannelName, isValidChannelName } from './channel-name.js';

describe('isValidChannelName', () => {
  it.each([
    ['one character', 'a'],
    ['200 characters', 'x'.repeat(200)],
    ['slashes, spaces and punctuation', 'rooms/42/chat room:*?'],
    ['characters outside ASCII', 'salons/café 🎉'],
    ['the characters next to the control ranges (space, tilde)', ' ~'],
  ])('accepts %s', (_, name) => {
    expect(isValidChannelName(name)).toBe(true);
  });

  it.each([
    ['the empty string', ''],
    ['201 characters', 'x'.repeat(201)],
    ['U+0000', 'rooms/\u0000'],
    ['U+001F', 'rooms/\u001f'],
    ['U+007F', 'rooms/\u007f'],
    ['a line break', 'rooms/1\nrooms/2'],
  ])('refuses %s', (_, name) => {
    expect(isValidChannelName(name)).toBe(false);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array of one name', ['rooms/1']],
    ['an object with a toString()', { toString: () => 'rooms/1' }],
  ])('refuses %s, which is not a string', (_, name) => {
    expect(isValidChannelName(name)).toBe(false);
  });
});

describe('checkedChannelName', () => {
  it('returns a valid name as it is', () => {
    expect(checkedChannelName('rooms/42')).toBe('rooms/42');
  });

  it('throws SseChannelNameError with code SSE_INVALID_CHANNEL, naming the channel', () => {
    const name = 'rooms/\u0000';
    let thrown: unknown;
    try {
      checkedChannelName(name);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SseChannelNameError);
    expect(thrown).toMatchObject({
      code: 'SSE_INVALID_CHANNEL',
      channel: name,
      message: SseMessages.channelInvalid(name),
    });
  });
});
