import { describe, expect, it } from '@jest/globals';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import type {
  SseChannelNames,
  SseChannelOptions,
  SseRequest,
} from '../interfaces/sse-channel-options.interface.js';
import { defineSseEvents, ssePayload } from '../contracts/define-sse-events.js';
import { SseMessages } from '../sse.messages.js';
import { MAX_STREAM_CHANNELS } from '../wire/stream-position.js';
import type { SseChannelMetadata } from './sse-channel-metadata.accessor.js';
import type { SseHandlerParam } from './sse-handler-params.js';
import { compileSseRoute, type SseRoute } from './sse-route.js';

const NAME = 'EventsController.stream';

function compile(
  path: string,
  options: SseChannelOptions = {},
  controllerPath = '',
  responseIndex = 0,
  params: readonly SseHandlerParam[] = [],
): SseRoute {
  const metadata: SseChannelMetadata = {
    path,
    options: options as SseChannelOptions<never>,
    responseIndex,
  };
  return compileSseRoute(NAME, controllerPath, metadata, params);
}

function request(params: SseRequest['params'] = {}): SseRequest {
  return { params, query: {}, headers: {} };
}

/** A route whose channels come from a function returning `names`. */
function resolving(names: SseChannelNames): SseRoute {
  return compile('stream', { channel: () => names });
}

const distinct = (count: number) => Array.from({ length: count }, (_, i) => `c/${i}`);

describe('compileSseRoute: channel templates', () => {
  it('joins the method path when no channel is given', () => {
    expect(compile('rooms/lobby').channelsFor(request())).toEqual(['rooms/lobby']);
  });

  it('joins the controller path when the method has none', () => {
    expect(compile('', {}, 'news').channelsFor(request())).toEqual(['news']);
  });

  it('gives every request of a static template the same frozen list', () => {
    const route = compile('rooms/lobby', { channel: ['rooms/lobby', 'news'] });
    const first = route.channelsFor(request());
    expect(route.channelsFor(request({ room: 'other' }))).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('joins no channel for channel: []', () => {
    expect(compile('completions', { channel: [] }).channelsFor(request())).toEqual([]);
  });

  it('fills each :param from the request params', () => {
    const route = compile(':org/rooms/:room');
    expect(route.channelsFor(request({ org: 'acme', room: '42' }))).toEqual(['acme/rooms/42']);
  });

  it('fills every template of a list', () => {
    const route = compile('rooms/:room', {
      channel: ['rooms/:room', 'rooms/:room/typing', 'news'],
    });
    expect(route.channelsFor(request({ room: '42' }))).toEqual([
      'rooms/42',
      'rooms/42/typing',
      'news',
    ]);
  });

  it('joins the parts of an array param with slashes', () => {
    const route = compile('files/:path');
    expect(route.channelsFor(request({ path: ['docs', 'a.md'] }))).toEqual(['files/docs/a.md']);
  });

  it('takes a placeholder of the controller path as declared', () => {
    const route = compile('inbox', { channel: 'users/:user/inbox' }, 'users/:user');
    expect(route.channelsFor(request({ user: 'ada' }))).toEqual(['users/ada/inbox']);
  });

  it('fails to compile a template that uses a param the route does not declare', () => {
    expect(() => compile('rooms/:room', { channel: ['news', 'rooms/:roomId'] })).toThrow(
      new Error(SseMessages.channelTemplateUnknownParam(NAME, 'rooms/:roomId', 'roomId')),
    );
  });

  it('fails to compile a route with neither a path nor a channel', () => {
    expect(() => compile('', {}, '')).toThrow(new Error(SseMessages.channelMissing(NAME)));
  });

  it('answers 400 when a filled template is not a valid channel name', () => {
    const route = compile('rooms/:room');
    expect(() => route.channelsFor(request({ room: 'x'.repeat(200) }))).toThrow(
      BadRequestException,
    );
  });
});

describe('compileSseRoute: replayOnConnect', () => {
  it.each([[-1], [1.5], [Number.NaN], [Infinity], ['3']])(
    'fails to compile replayOnConnect %p',
    (replayOnConnect) => {
      expect(() => compile('news', { replayOnConnect } as SseChannelOptions)).toThrow(
        new Error(SseMessages.routeReplayInvalid(NAME, replayOnConnect)),
      );
    },
  );

  it('keeps a valid replayOnConnect on the route, 0 included', () => {
    expect(compile('news', { replayOnConnect: 0 }).replayOnConnect).toBe(0);
  });
});

describe('compileSseRoute: events', () => {
  it('fails to compile events that are not a contract', () => {
    const events = { message: 'text' };
    expect(() => compile('news', { events } as unknown as SseChannelOptions)).toThrow(
      new Error(SseMessages.routeEventsInvalid(NAME, events)),
    );
  });

  it('compiles a route with a contract', () => {
    const events = defineSseEvents({ message: ssePayload<string>() });
    expect(() => compile('news', { events })).not.toThrow();
  });
});

describe('compileSseRoute: channel functions', () => {
  it('passes the request to the function', () => {
    const route = compile('mine', { channel: (req) => `users/${String(req.query.user)}` });
    expect(route.channelsFor({ ...request(), query: { user: 'ada' } })).toEqual(['users/ada']);
  });

  it('answers 404 when the function returns undefined', () => {
    expect(() => resolving(undefined).channelsFor(request())).toThrow(NotFoundException);
  });

  it.each([
    ['the empty string', ''],
    ['201 characters', 'x'.repeat(201)],
    ['a control character', 'rooms/\u0000'],
    ['a list holding an invalid name', ['rooms/1', 'rooms/\n']],
  ])('answers 400 when the function returns %s', (_, names) => {
    expect(() => resolving(names).channelsFor(request())).toThrow(BadRequestException);
  });

  it('joins each channel once, in the order first given', () => {
    const route = resolving(['b', 'a', 'b', 'c', 'a']);
    expect(route.channelsFor(request())).toEqual(['b', 'a', 'c']);
  });

  it(`accepts ${MAX_STREAM_CHANNELS} channels`, () => {
    expect(resolving(distinct(MAX_STREAM_CHANNELS)).channelsFor(request())).toHaveLength(
      MAX_STREAM_CHANNELS,
    );
  });

  it(`answers 400 for more than ${MAX_STREAM_CHANNELS} channels`, () => {
    const route = resolving(distinct(MAX_STREAM_CHANNELS + 1));
    expect(() => route.channelsFor(request())).toThrow(BadRequestException);
  });

  it('counts channels after removing duplicates', () => {
    const names = [...distinct(MAX_STREAM_CHANNELS), 'c/0'];
    expect(resolving(names).channelsFor(request())).toHaveLength(MAX_STREAM_CHANNELS);
  });
});

describe('compileSseRoute: the route', () => {
  it('carries the response index and the parameters the library fills', () => {
    const params: SseHandlerParam[] = [
      { index: 1, kind: 'connectionId' },
      { index: 2, kind: 'abortSignal' },
    ];
    const route = compile('news', {}, '', 3, params);
    expect(route).toMatchObject({ name: NAME, responseIndex: 3, params });
  });
});
