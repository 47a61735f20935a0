import { applyDecorators, createParamDecorator, Get, Res, SetMetadata } from '@nestjs/common';
import type { SseChannelMetadata } from '../channel/sse-channel-metadata.accessor.js';
import { trimSlashes } from '../channel/sse-channel-metadata.accessor.js';
import { handlerParamsOf, type SseHandlerParam } from '../channel/sse-handler-params.js';
import { SseStreamsPipe } from '../channel/sse-streams.pipe.js';
import { SseStreamService } from '../connection/sse-stream.service.js';
import type { SseChannelOptions, SseRequest } from '../interfaces/sse-channel-options.interface.js';
import type { SseHandlerResult } from '../interfaces/sse-event.interface.js';
import { SSE_CHANNEL_METADATA } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';

type Handler = (this: object, ...args: unknown[]) => unknown;

/**
 * A method `@SseChannel()` can decorate: whatever its parameters, it returns an Observable or
 * AsyncIterable of events (`SseEvent`, or NestJS's `MessageEvent`), a Promise of one, or nothing.
 */
export type SseChannelMethod = (...args: never[]) => SseHandlerResult;

/** The hidden parameter carrying the stream service (its value comes from the pipe). */
const StreamService = createParamDecorator(() => undefined);

/**
 * Makes a controller method a Server-Sent Events endpoint: `GET path`, joined to a channel,
 * kept alive by heartbeats, torn down when the client leaves. Guards, interceptors, pipes and
 * the method itself run before the first byte is written, so a rejected request gets an
 * ordinary 4xx.
 *
 * The method may return an Observable, an AsyncIterable or a Promise of one, of event objects
 * (`{ data, event?, id?, retry?, comment? }`, or NestJS's `MessageEvent` with `type`); what it
 * emits is sent to this connection only, merged with what `BroadcastService` publishes to the
 * channel. TypeScript refuses a method that returns anything else. When the returned stream
 * completes, the response ends. Returning nothing makes the method a pure channel
 * subscription.
 *
 * @example
 * \@SseChannel('rooms/:room')          // GET /events/rooms/:room, joins 'rooms/<room>'
 * \@UseGuards(RoomMemberGuard)
 * room(@Param('room') room: string) {}
 */
export function SseChannel<TRequest = SseRequest>(
  path = '',
  options: SseChannelOptions<TRequest> = {},
): <T extends SseChannelMethod>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
) => void {
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
    applyDecorators(Get(path), SetMetadata(SSE_CHANNEL_METADATA, metadata))(
      target,
      key,
      descriptor,
    );
  };
}

/**
 * The method as Nest calls it: hands the request to the module's stream service, which admits
 * it, runs the method (with the library's parameters filled in) and opens the stream with what
 * it returned. Any error before the stream opens stays an ordinary HTTP error.
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
    await streams.serve(this.constructor, handler, args[hidden], (admission) => {
      for (const { index, kind } of params) {
        args[index] = kind === 'connectionId' ? admission.connection.id : admission.signal;
      }
      return original.apply(this, args);
    });
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
