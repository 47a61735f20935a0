import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Param, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { SseAbortSignal } from '../decorators/sse-abort-signal.decorator.js';
import { SseChannel } from '../decorators/sse-channel.decorator.js';
import { SseConnectionId } from '../decorators/sse-connection-id.decorator.js';
import { SseMessages } from '../sse.messages.js';
import { SseModule } from '../sse.module.js';
import { SseChannelMetadataAccessor } from './sse-channel-metadata.accessor.js';
import { SseRouteTable } from './sse-route-table.js';

@Controller('rooms')
class RoomsController {
  @SseChannel(':room')
  join(
    @Param('room') _room: string,
    @SseConnectionId() _connectionId: string,
    @SseAbortSignal() _signal: AbortSignal,
  ): void {}

  @Get()
  list(): string[] {
    return [];
  }
}

@Controller('news')
class NewsController {
  @SseChannel()
  latest(): void {}

  @SseChannel('typo/:id', { channel: 'typo/:ids' })
  typo(): void {}
}

@Controller('plain')
class ConnectionIdOnPlainRoute {
  @Get()
  list(@SseConnectionId() _connectionId: string): string[] {
    return [];
  }
}

@Controller('plain')
class AbortSignalOnPlainRoute {
  @Get()
  list(@SseAbortSignal() _signal: AbortSignal): string[] {
    return [];
  }
}

/** A controller no module declares. */
@Controller('elsewhere')
class UnregisteredController {
  @SseChannel('feed')
  feed(): void {}
}

const opened: TestingModule[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((moduleRef) => moduleRef.close()));
});

async function initWith(...controllers: Type[]): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [SseModule.forRoot()],
    controllers,
  }).compile();
  opened.push(moduleRef);
  await moduleRef.init();
  return moduleRef;
}

async function tableWith(...controllers: Type[]): Promise<SseRouteTable> {
  return (await initWith(...controllers)).get(SseRouteTable);
}

describe('SseRouteTable at init', () => {
  it('compiles every @SseChannel() route, so one invalid template fails init', async () => {
    await expect(initWith(RoomsController, NewsController)).rejects.toThrow(
      new Error(SseMessages.channelTemplateUnknownParam('NewsController.typo', 'typo/:ids', 'ids')),
    );
  });

  it('serves a route compiled at init without reading its metadata again', async () => {
    const moduleRef = await initWith(RoomsController);
    const read = jest.spyOn(moduleRef.get(SseChannelMetadataAccessor), 'getChannelMetadata');
    expect(
      moduleRef.get(SseRouteTable).get(RoomsController, RoomsController.prototype.join),
    ).toBeDefined();
    expect(read).not.toHaveBeenCalled();
  });

  it.each([
    ['@SseConnectionId()', ConnectionIdOnPlainRoute],
    ['@SseAbortSignal()', AbortSignalOnPlainRoute],
  ])(
    'fails when %s marks a parameter of a method without @SseChannel(), naming it, the controller and the method',
    async (decorator, controller) => {
      await expect(initWith(controller)).rejects.toThrow(
        new Error(SseMessages.paramOutsideSseChannel(decorator, controller.name, 'list')),
      );
    },
  );
});

describe('SseRouteTable.get', () => {
  it('is undefined for a method without @SseChannel()', async () => {
    const table = await tableWith(RoomsController);
    expect(table.get(RoomsController, RoomsController.prototype.list)).toBeUndefined();
  });

  it('is undefined for a function that is no method of the controller', async () => {
    const table = await tableWith(RoomsController);
    expect(table.get(RoomsController, function unknown() {})).toBeUndefined();
  });

  it('gives the route named Controller.method', async () => {
    const table = await tableWith(RoomsController);
    expect(table.get(RoomsController, RoomsController.prototype.join)?.name).toBe(
      'RoomsController.join',
    );
  });

  it('gives the parameters @SseConnectionId() and @SseAbortSignal() mark', async () => {
    const table = await tableWith(RoomsController);
    const params = table.get(RoomsController, RoomsController.prototype.join)?.params ?? [];
    expect([...params].sort((a, b) => a.index - b.index)).toEqual([
      { index: 1, kind: 'connectionId' },
      { index: 2, kind: 'abortSignal' },
    ]);
  });

  it("gives the index of the response, after the method's parameters", async () => {
    const table = await tableWith(RoomsController);
    expect(table.get(RoomsController, RoomsController.prototype.join)?.responseIndex).toBe(3);
  });

  it('compiles on first use the route of a controller init did not see', async () => {
    const table = await tableWith(RoomsController);
    const route = table.get(UnregisteredController, UnregisteredController.prototype.feed);
    expect(route?.name).toBe('UnregisteredController.feed');
  });
});
