import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SseChannel, SseConnectionId, SseModule } from '../lib/index.js';
import { CapturedLogs } from './support/app.js';

async function bootWith(controller: new () => object): Promise<void> {
  @Module({ imports: [SseModule.forRoot()], controllers: [controller] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, {
    logger: new CapturedLogs(),
    abortOnError: false,
  });
  try {
    await app.init();
  } finally {
    await app.close();
  }
}

describe('@SseChannel channel templates', () => {
  it('fails the boot when a template uses a param the route does not declare', async () => {
    @Controller('rooms')
    class TypoController {
      @SseChannel(':room', { channel: 'rooms/:roomId' })
      room(): void {}
    }
    await expect(bootWith(TypoController)).rejects.toThrow(
      '@SseChannel() on TypoController.room: channel template "rooms/:roomId" uses ":roomId", which the route path does not declare',
    );
  });

  it('fails the boot when neither the method nor the controller has a path and no channel is given', async () => {
    @Controller()
    class NamelessController {
      @SseChannel()
      stream(): void {}
    }
    await expect(bootWith(NamelessController)).rejects.toThrow(
      '@SseChannel() on NamelessController.stream has neither a path nor options.channel',
    );
  });

  it('fails the boot when @SseConnectionId() marks a parameter of an ordinary route', async () => {
    @Controller('plain')
    class PlainController {
      @Get()
      list(@SseConnectionId() _id: string): string[] {
        return [];
      }
    }
    await expect(bootWith(PlainController)).rejects.toThrow(
      '@SseConnectionId() is used on PlainController.list, which is not an @SseChannel() route',
    );
  });

  it('boots when the template uses params of the controller path', async () => {
    @Controller('users/:user')
    class UserController {
      @SseChannel('inbox', { channel: 'users/:user/inbox' })
      inbox(): void {}
    }
    await expect(bootWith(UserController)).resolves.toBeUndefined();
  });
});
