/**
 * An application as the README writes it, compiled against the packed package by
 * `test/typescript-consumers.e2e-spec.ts` under the TypeScript versions and module settings the
 * README supports. Every import is a public one.
 */
import {
  Body,
  Controller,
  Module,
  Param,
  Post,
  UseGuards,
  type CanActivate,
  type MessageEvent,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import {
  BroadcastService,
  ConnectionRegistry,
  SseChannel,
  SseExceptionFilter,
  SseModule,
  type SseEvent,
  type SseHistoryEntry,
  type SseRequest,
} from 'nestjs-sse-channels';
import { connect, SseStreamError, type SseReset } from 'nestjs-sse-channels/client';
import { RedisBackend } from 'nestjs-sse-channels/redis';
import { createSseTestApp } from 'nestjs-sse-channels/testing';
import { interval, map, type Observable } from 'rxjs';

class RoomMemberGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** What an authentication guard puts on the request. */
interface AuthedRequest extends SseRequest {
  readonly user: { readonly id: string; readonly teams: readonly string[] };
}

@Controller('rooms')
export class RoomsController {
  constructor(
    private readonly broadcast: BroadcastService,
    private readonly registry: ConnectionRegistry,
  ) {}

  @SseChannel(':room/events', { channel: 'rooms/:room' })
  @UseGuards(RoomMemberGuard)
  events(): void {}

  /** `req.user` typed through the decorator's type parameter. */
  @SseChannel('mine', {
    channel: (req: AuthedRequest) => [
      `users/${req.user.id}`,
      ...req.user.teams.map((t) => `teams/${t}`),
    ],
  })
  mine(): void {}

  /** A handler written for NestJS's @Sse(): MessageEvent works as it is. */
  @SseChannel('clock', { channel: [] })
  clock(): Observable<MessageEvent> {
    return interval(1000).pipe(map((n) => ({ type: 'tick', data: { n } })));
  }

  @SseChannel('tokens', { channel: [] })
  async *tokens(): AsyncGenerator<SseEvent<string>> {
    yield { event: 'token', data: 'hello' };
  }

  @Post(':room/messages')
  async post(@Param('room') room: string, @Body() body: { text: string }) {
    const { id } = await this.broadcast.publish(`rooms/${room}`, { event: 'message', data: body });
    const kept: SseHistoryEntry<{ text: string }>[] = await this.broadcast.history(`rooms/${room}`);
    return { id, kept: kept.map((entry) => entry.data.text), viewers: this.registry.count() };
  }
}

@Module({
  imports: [SseModule.forRoot({ heartbeatIntervalMs: 15_000 })],
  controllers: [RoomsController],
  providers: [{ provide: APP_FILTER, useClass: SseExceptionFilter }],
})
export class AppModule {}

export const redisModule = SseModule.forRoot({
  backend: new RedisBackend({ url: 'redis://127.0.0.1:6379', keyPrefix: 'myapp:sse:' }),
});

/** The README's client example. */
export async function follow(
  render: (text: string) => void,
  reload: (reset: SseReset) => Promise<void>,
) {
  const stream = connect('https://api.example.com/rooms/42/events', {
    heartbeatTimeoutMs: 45_000,
    onReset: reload,
  });
  try {
    for await (const { data } of stream.json<{ text: string }>()) render(data.text);
  } catch (error) {
    if (error instanceof SseStreamError && !error.retryable) return;
    throw error;
  }
}

/** The README's testing example. */
export async function testRooms(): Promise<void> {
  const sse = await createSseTestApp(AppModule);
  const streams = await sse.openMany<{ text: string }>(2, '/rooms/42/events', { json: true });
  await sse.app.get(BroadcastService).publish('rooms/42', { data: { text: 'hi' } });
  await Promise.all(
    streams.map((s) => s.waitFor((m) => m.data.text === 'hi', { timeoutMs: 1000 })),
  );
  await sse.close();
}
