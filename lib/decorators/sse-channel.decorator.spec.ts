import { describe, expect, it, jest } from '@jest/globals';
import { Param, Query, RequestMethod, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SseChannelMetadataAccessor } from '../channel/sse-channel-metadata.accessor.js';
import type { SseChannelOptions } from '../interfaces/sse-channel-options.interface.js';
import { NEST_PATH_METADATA } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';
import { SseChannel } from './sse-channel.decorator.js';

/** Nest's `METHOD_METADATA`, which the package root does not export (as `PATH_METADATA`). */
const NEST_METHOD_METADATA = 'method';

const reflector = new Reflector();
const accessor = new SseChannelMetadataAccessor(reflector);

const roomOptions: SseChannelOptions = { channel: 'chat/:room', replayOnConnect: 5 };

class RoomsController {
  @SseChannel('/rooms/:room/', roomOptions)
  room(@Param('room') _room: string, @Query('since') _since?: string): void {}

  @SseChannel()
  all(): void {}

  @SseChannel('paged')
  paged(@Query('size') _size = 10): void {}

  @SseChannel('admin')
  @SetMetadata('roles', ['admin'])
  admin(): void {}
}

class EchoController {
  readonly heard: string[] = [];

  @SseChannel('echo')
  echo(@Query('text') text: string): void {
    this.heard.push(text);
  }
}

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

describe('@SseChannel() metadata', () => {
  it('records the path without leading or trailing slashes', () => {
    expect(accessor.getChannelMetadata(RoomsController.prototype.room)?.path).toBe('rooms/:room');
  });

  it('records the options as given', () => {
    expect(accessor.getChannelMetadata(RoomsController.prototype.room)?.options).toBe(roomOptions);
  });

  it("puts the response right after the method's declared parameters", () => {
    expect(accessor.getChannelMetadata(RoomsController.prototype.room)?.responseIndex).toBe(2);
    expect(accessor.getChannelMetadata(RoomsController.prototype.all)?.responseIndex).toBe(0);
  });

  it('counts a parameter with a default value, which Function.length leaves out', () => {
    expect(accessor.getChannelMetadata(RoomsController.prototype.paged)?.responseIndex).toBe(1);
  });
});

describe('@SseChannel() route', () => {
  it('registers the method as a GET route on its path', () => {
    const handler = RoomsController.prototype.room;
    expect(Reflect.getMetadata(NEST_PATH_METADATA, handler)).toBe('/rooms/:room/');
    expect(Reflect.getMetadata(NEST_METHOD_METADATA, handler)).toBe(RequestMethod.GET);
  });

  it('registers GET / when given no path', () => {
    expect(Reflect.getMetadata(NEST_PATH_METADATA, RoomsController.prototype.all)).toBe('/');
  });

  it('keeps on the replaced method the metadata of decorators applied below it', () => {
    expect(reflector.get('roles', RoomsController.prototype.admin)).toEqual(['admin']);
  });

  it("keeps the method's name", () => {
    expect(RoomsController.prototype.room.name).toBe('room');
  });
});

describe('@SseChannel() on what it cannot decorate', () => {
  it.each([
    ['a value that is not a function', { value: 42 }],
    ['an accessor', { get: () => () => undefined }],
  ])('throws a TypeError naming the key for %s', (_, descriptor) => {
    const error = thrownBy(() =>
      SseChannel()(RoomsController.prototype, 'notAMethod', descriptor as never),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(SseMessages.notAMethod('notAMethod'));
  });
});

describe('the decorated method', () => {
  it('throws, naming Controller.method, when called other than through Nest', () => {
    expect(() => new RoomsController().all()).toThrow(
      new Error(SseMessages.handlerNotDecorated('RoomsController.all')),
    );
  });

  it('hands a call through Nest to the endpoint in the hidden argument after the response', () => {
    const serve = jest.fn((..._: unknown[]) => Promise.resolve());
    const controller = new RoomsController();
    const args = ['42', undefined, { response: true }, { serve }];
    (controller.room as (...args: unknown[]) => unknown)(...args);
    expect(serve).toHaveBeenCalledWith(
      controller,
      RoomsController.prototype.room,
      expect.any(Function),
      args,
    );
  });

  it("gives the endpoint the original method, which runs the method's body", () => {
    const serve = jest.fn((..._: unknown[]) => Promise.resolve());
    const controller = new EchoController();
    (controller.echo as (...args: unknown[]) => unknown)('hi', { response: true }, { serve });
    const original = serve.mock.calls[0]?.[2] as ((text: string) => void) | undefined;
    original?.call(controller, 'hello');
    expect(controller.heard).toEqual(['hello']);
  });
});
