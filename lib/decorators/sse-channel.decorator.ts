import { applyDecorators, createParamDecorator, Get, Res, SetMetadata } from '@nestjs/common';
import type { SseChannelMetadata } from '../channel/sse-channel-metadata.accessor.js';
import { trimSlashes } from '../channel/sse-channel-metadata.accessor.js';
import { handlerParamsOf, type SseHandlerParam } from '../channel/sse-handler-params.js';
import { SseStreamsPipe } from '../channel/sse-streams.pipe.js';
import { SseStreamService } from '../connection/sse-stream.service.js';
import type { SseChannelOptions, SseRequest } from '../interfaces/sse-channel-options.interface.js';
import { SSE_CHANNEL_METADATA } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';

type Handler = (this: object, ...args: unknown[]) => unknown;

/** The hidden parameter carrying the stream service (its value comes from the pipe). */
const StreamService = createParamDecorator(() => undefined);

/**
 * Makes a controller method a Server-Sent Events endpoint: `GET path`, joined to a channel,
 * kept alive by heartbeats, torn down when the client leaves. Guards, interceptors, pipes and
 * the method itself run before the first byte is written, so a rejected request gets an
 * ordinary 4xx.
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
    if (typeof original !== 'function') throw new TypeError(SseMessages.notAMethod(String(key)));
    // Two extra arguments after the method's own: the response, which tells Nest the library
    // answers the request, and the stream service. The method itself never sees them.
    const hidden = Math.max(
      (Reflect.getMetadata('design:paramtypes', target, key) as unknown[] | undefined)?.length ?? 0,
      original.length,
    );
    Res()(target, key, hidden);
    StreamService(SseStreamsPipe)(target, key, hidden + 1);
    const route = `${target.constructor.name}.${String(key)}`;
    const handler = streamingHandler(
      original as Handler,
      hidden,
      handlerParamsOf(target, key),
      route,
    );
    inheritMetadata(original, handler);
    (descriptor as { value?: unknown }).value = handler;
    const metadata: SseChannelMetadata = {
      path: trimSlashes(path),
      options: options as SseChannelOptions<never>,
    };
    return applyDecorators(Get(path), SetMetadata(SSE_CHANNEL_METADATA, metadata))(
      target,
      key,
      descriptor,
    );
  };
}

/**
 * Admits the request (channels, limits, finished channels: HTTP errors if refused), runs the
 * method with the library's parameters filled in, then opens the stream with its result. Any
 * error before the stream opens stays an ordinary HTTP error.
 */
function streamingHandler(
  original: Handler,
  hidden: number,
  params: readonly SseHandlerParam[],
  route: string,
): Handler {
  const handler = async function (this: object, ...args: unknown[]): Promise<void> {
    const streams = args[hidden + 1];
    if (!(streams instanceof SseStreamService))
      throw new Error(SseMessages.handlerNotDecorated(route));
    const admission = await streams.admit(this.constructor, handler, args[hidden]);
    try {
      for (const { index, kind } of params) {
        args[index] = kind === 'connectionId' ? admission.connection.id : admission.signal;
      }
      const returned = original.apply(this, args);
      // A value that is not a Promise opens the stream at once, without a microtask turn.
      if (isThenable(returned)) admission.open(await returned, true);
      else admission.open(returned, false);
    } catch (error) {
      admission.abandon();
      throw error;
    }
  };
  Object.defineProperty(handler, 'name', { value: original.name });
  return handler;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** Decorators applied below `@SseChannel()` stored their metadata on the original function. */
function inheritMetadata(from: object, to: object): void {
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
}
