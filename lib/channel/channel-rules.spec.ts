import { describe, expect, it } from '@jest/globals';
import { Type } from 'class-transformer';
import { IsString, ValidateNested } from 'class-validator';
import { defineSseEvents, ssePayload } from '../contracts/define-sse-events.js';
import { SseEventError } from '../errors/sse-event.error.js';
import { SsePayloadValidationError } from '../errors/sse-payload-validation.error.js';
import { resolveSseOptions } from '../options/resolve-sse-options.js';
import type { SseModuleOptions } from '../options/sse-module-options.js';
import { SseMessages } from '../sse.messages.js';
import { ChannelRules } from './channel-rules.js';

class Author {
  @IsString()
  name!: string;
}

class ChatMessage {
  @IsString()
  text!: string;

  @ValidateNested()
  @Type(() => Author)
  author!: Author;

  @ValidateNested({ each: true })
  @Type(() => Author)
  mentions!: Author[];
}

/** Rules as the module builds them: from resolved options, initialised. */
async function rulesFor(options: SseModuleOptions): Promise<ChannelRules> {
  const rules = new ChannelRules(resolveSseOptions(options));
  await rules.onModuleInit();
  return rules;
}

/** Whether `pattern` applies to `channel`, seen through the history size it declares. */
async function applies(pattern: string, channel: string): Promise<boolean> {
  const rules = await rulesFor({ channels: [{ pattern, historySize: 7 }] });
  return rules.historySize(channel) === 7;
}

async function rejection(promise: Promise<void> | undefined): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const valid = { text: 'hi', author: { name: 'Ada' }, mentions: [{ name: 'Grace' }] };

describe('ChannelRules patterns', () => {
  it.each([
    ['rooms/:room', 'rooms/42', true],
    ['rooms/:room', 'rooms/42/chat', false],
    ['rooms/:room', 'rooms/', false],
    ['rooms/:room/chat', 'rooms/42/chat', true],
  ])('matches one whole segment per :param: %s against %s is %p', async (pattern, channel, hit) => {
    expect(await applies(pattern, channel)).toBe(hit);
  });

  it.each([
    ['jobs/*', 'jobs/7', true],
    ['jobs/*', 'jobs/7/logs/today', true],
    ['jobs/*', 'jobs', false],
    ['jobs/*', 'other/jobs/7', false],
  ])(
    'matches the rest of the name, slashes included, with a trailing *: %s against %s is %p',
    async (pattern, channel, hit) => {
      expect(await applies(pattern, channel)).toBe(hit);
    },
  );

  it.each([
    ['a/*/b', 'a/x/b', false],
    ['a/*/b', 'a/*/b', true],
    ['jobs*', 'jobs7', false],
    ['jobs*', 'jobs*', true],
  ])(
    'takes * anywhere but as the last segment literally: %s against %s is %p',
    async (pattern, channel, hit) => {
      expect(await applies(pattern, channel)).toBe(hit);
    },
  );

  it.each([
    ['v1.0', 'v1x0', false],
    ['a+', 'aa', false],
    ['(x|y)', 'x', false],
    ['[ab]', 'a', false],
    ['^$?{2}\\', '^$?{2}\\', true],
  ])(
    'takes regular expression metacharacters literally: %s against %s is %p',
    async (pattern, channel, hit) => {
      expect(await applies(pattern, channel)).toBe(hit);
    },
  );

  it('matches the whole name, not a part of it', async () => {
    expect(await applies('rooms', 'my-rooms/1')).toBe(false);
  });
});

describe('ChannelRules.historySize', () => {
  it('is history.size for a channel no declaration matches', async () => {
    const rules = await rulesFor({ history: { size: 30 }, channels: [{ pattern: 'jobs/*' }] });
    expect(rules.historySize('rooms/1')).toBe(30);
  });

  it('is the historySize of the first declaration that matches', async () => {
    const rules = await rulesFor({
      channels: [
        { pattern: 'rooms/*', historySize: 5 },
        { pattern: 'rooms/:room', historySize: 50 },
      ],
    });
    expect(rules.historySize('rooms/1')).toBe(5);
  });

  it('is history.size when the first matching declaration has no historySize', async () => {
    const rules = await rulesFor({
      channels: [
        { pattern: 'rooms/*', payload: ChatMessage },
        { pattern: 'rooms/:room', historySize: 50 },
      ],
    });
    expect(rules.historySize('rooms/1')).toBe(100);
  });

  it('keeps a declared historySize of 0', async () => {
    const rules = await rulesFor({ channels: [{ pattern: 'rooms/*', historySize: 0 }] });
    expect(rules.historySize('rooms/1')).toBe(0);
  });
});

describe('ChannelRules cache', () => {
  // The cache is private, and its bound cannot be seen through the public API otherwise.
  const cacheOf = (rules: ChannelRules) =>
    (rules as unknown as { cache: Map<string, unknown> }).cache;

  it('keeps at most 1,000 channels however many are looked up', async () => {
    const rules = await rulesFor({ channels: [{ pattern: 'rooms/*', historySize: 5 }] });
    for (let i = 0; i < 1_500; i++) rules.historySize(`rooms/${i}`);
    expect(cacheOf(rules).size).toBe(1_000);
  });

  it('still applies the rule to a channel evicted from the cache', async () => {
    const rules = await rulesFor({ channels: [{ pattern: 'rooms/*', historySize: 5 }] });
    for (let i = 0; i < 1_500; i++) rules.historySize(`rooms/${i}`);
    expect(cacheOf(rules).has('rooms/0')).toBe(false);
    expect(rules.historySize('rooms/0')).toBe(5);
  });
});

describe('ChannelRules.validate', () => {
  it.each([
    ['no declaration', {}],
    ['a matching declaration without payload', { channels: [{ pattern: 'rooms/*' }] }],
    [
      'a declaration with a payload for other channels',
      { channels: [{ pattern: 'jobs/*', payload: ChatMessage }] },
    ],
  ])('returns undefined, validating nothing, for a channel with %s', async (_, options) => {
    const rules = await rulesFor(options);
    expect(rules.validate('rooms/1', undefined, { text: 42 })).toBeUndefined();
  });

  it('resolves for a plain payload that satisfies the DTO', async () => {
    const rules = await rulesFor({ channels: [{ pattern: 'rooms/*', payload: ChatMessage }] });
    await expect(rules.validate('rooms/1', undefined, valid)).resolves.toBeUndefined();
  });

  it('rejects a failing payload with SsePayloadValidationError for its channel', async () => {
    const rules = await rulesFor({ channels: [{ pattern: 'rooms/*', payload: ChatMessage }] });
    const error = await rejection(rules.validate('rooms/1', undefined, { ...valid, text: 42 }));
    expect(error).toBeInstanceOf(SsePayloadValidationError);
    expect(error).toMatchObject({ code: 'SSE_INVALID_PAYLOAD', channel: 'rooms/1' });
  });

  it('names the channel and each failed constraint in the message', async () => {
    const rules = await rulesFor({ channels: [{ pattern: 'rooms/*', payload: ChatMessage }] });
    const error = await rejection(rules.validate('rooms/1', undefined, { ...valid, text: 42 }));
    expect((error as Error).message).toBe(
      SseMessages.payloadInvalid('rooms/1', ['text must be a string']),
    );
  });

  it('names a failed property of a nested object by its path', async () => {
    const rules = await rulesFor({ channels: [{ pattern: 'rooms/*', payload: ChatMessage }] });
    const error = await rejection(
      rules.validate('rooms/1', undefined, { ...valid, author: { name: 7 } }),
    );
    expect((error as Error).message).toBe(
      SseMessages.payloadInvalid('rooms/1', ['author.name must be a string']),
    );
  });

  it('names a failed property of an element of a nested array by its index', async () => {
    const rules = await rulesFor({ channels: [{ pattern: 'rooms/*', payload: ChatMessage }] });
    const mentions = [{ name: 'Grace' }, { name: null }];
    const error = await rejection(rules.validate('rooms/1', undefined, { ...valid, mentions }));
    expect((error as Error).message).toBe(
      SseMessages.payloadInvalid('rooms/1', ['mentions.1.name must be a string']),
    );
  });
});

class Typing {
  @IsString()
  user!: string;
}

const ChatEvents = defineSseEvents({
  message: ChatMessage,
  typing: Typing,
  note: ssePayload<{ text: string }>(),
});

describe('ChannelRules.validate with an event contract', () => {
  const withContract = () => rulesFor({ channels: [{ pattern: 'rooms/*', events: ChatEvents }] });

  it('validates each event against the class its contract declares for its name', async () => {
    const rules = await withContract();
    await expect(rules.validate('rooms/1', 'typing', { user: 'ann' })).resolves.toBeUndefined();
    const error = await rejection(rules.validate('rooms/1', 'typing', { user: 7 }));
    expect((error as Error).message).toBe(
      SseMessages.payloadInvalid('rooms/1', ['user must be a string']),
    );
  });

  it("validates an unnamed event as the contract's message event", async () => {
    const rules = await withContract();
    const error = await rejection(rules.validate('rooms/1', undefined, { ...valid, text: 42 }));
    expect(error).toBeInstanceOf(SsePayloadValidationError);
  });

  it('validates nothing for an event declared with ssePayload()', async () => {
    const rules = await withContract();
    expect(rules.validate('rooms/1', 'note', 42)).toBeUndefined();
  });

  it('refuses an event the contract does not declare with SseEventError', async () => {
    const rules = await withContract();
    expect(() => rules.validate('rooms/1', 'shout', {})).toThrow(SseEventError);
  });

  it('checks a typed publish against its own contract on a channel without one', async () => {
    const rules = await rulesFor({});
    expect(() => rules.validate('rooms/1', 'shout', {}, ChatEvents)).toThrow(SseEventError);
    const error = await rejection(rules.validate('rooms/1', 'typing', { user: 7 }, ChatEvents));
    expect(error).toBeInstanceOf(SsePayloadValidationError);
  });

  it('fails the boot when a declaration gives both payload and events', () => {
    expect(
      () =>
        new ChannelRules(
          resolveSseOptions({
            channels: [{ pattern: 'rooms/*', payload: ChatMessage, events: ChatEvents }],
          }),
        ),
    ).toThrow(SseMessages.channelPayloadAndEvents('rooms/*'));
  });
});
