import { applyDecorators, Get, Res, SetMetadata, UseInterceptors } from '@nestjs/common';
import { takeAdmission } from '../channel/sse-admission.js';
import type { SseChannelMetadata } from '../channel/sse-channel-metadata.accessor.js';
import { trimSlashes } from '../channel/sse-channel-metadata.accessor.js';
import { SseChannelInterceptor } from '../channel/sse-channel.interceptor.js';
import type { SseChannelOptions, SseRequest } from '../interfaces/sse-channel-options.interface.js';
import { SSE_CHANNEL_METADATA } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';

type Handler = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Makes a controller method a Server-Sent Events endpoint: `GET path`, joined to a channel,
 * kept alive by heartbeats, torn down when the client leaves. Guards, interceptors and param
 * decorators work as on any route and run before the first byte is written, so a rejected
 * request gets an ordinary 4xx.
 *
 * The method may return an Observable, an AsyncIterable or a Promise of one; what it emits is
 * sent to this connection only, merged with what `BroadcastService` publishes to the channel.
 * When the returned stream completes, the response ends. Returning nothing makes the method a
 * pure channel subscription.
 *
 * @example
 * \@SseChannel('rooms/:room')          // GET /events/rooms/:room, joins 'rooms/<room>'
 * \@UseGuards(RoomMemberGuard)
 * room(@Param('room') room: string) {}
 */
export function SseChannel<TRequest = SseRequest>(
  path = '',
  options: SseChannelOptions<TRequest> = {},
): MethodDecorator {
  return (target, key, descriptor) => {
    const original = descriptor.value as unknown;
    if (typeof original !== 'function')
      throw new TypeError(`@SseChannel() decorates methods; ${String(key)} is not one`);
    // The response goes to an extra argument after the method's own, which tells Nest the
    // library answers the request; the method itself never sees it.
    const responseIndex = Math.max(
      (Reflect.getMetadata('design:paramtypes', target, key) as unknown[] | undefined)?.length ?? 0,
      original.length,
    );
    Res()(target, key, responseIndex);
    const handler = streamingHandler(
      original as Handler,
      responseIndex,
      `${target.constructor.name}.${String(key)}`,
    );
    inheritMetadata(original, handler);
    (descriptor as { value?: unknown }).value = handler;
    const metadata: SseChannelMetadata = {
      path: trimSlashes(path),
      options: options as SseChannelOptions<never>,
    };
    return applyDecorators(
      Get(path),
      SetMetadata(SSE_CHANNEL_METADATA, metadata),
      UseInterceptors(SseChannelInterceptor),
    )(target, key, descriptor);
  };
}

/** Runs the method, then opens the stream with its result; errors before that stay HTTP errors. */
function streamingHandler(original: Handler, responseIndex: number, route: string): Handler {
  const handler = async function (this: unknown, ...args: unknown[]): Promise<void> {
    const admission = takeAdmission(args[responseIndex]);
    if (!admission) throw new Error(SseMessages.handlerNotDecorated(route));
    admission.open(await original.apply(this, args));
  };
  Object.defineProperty(handler, 'name', { value: original.name });
  return handler;
}

/** Decorators applied below `@SseChannel()` stored their metadata on the original function. */
function inheritMetadata(from: object, to: object): void {
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
}
