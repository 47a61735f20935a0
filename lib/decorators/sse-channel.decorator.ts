import { applyDecorators, createParamDecorator, Get, Res, SetMetadata } from '@nestjs/common';
import { trimSlashes, type SseChannelMetadata } from '../channel/sse-channel-metadata.accessor.js';
import type { ChannelEndpoint } from '../endpoint/channel-endpoint.service.js';
import { SseStreamsPipe } from '../endpoint/sse-streams.pipe.js';
import type { SseChannelOptions, SseRequest } from '../interfaces/sse-channel-options.interface.js';
import type { SseChannelMethod } from '../interfaces/sse-event.interface.js';
import { SSE_CHANNEL_METADATA } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';

type Method = (this: object, ...args: unknown[]) => unknown;

/** The hidden parameter carrying the endpoint (its value comes from the pipe). */
const Endpoint = createParamDecorator(() => undefined);

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
 * `options.events` names the route's event contract (`defineSseEvents()`), which
 * `nestjs-sse-channels/swagger` documents as a schema per event.
 *
 * @example
 * \@SseChannel('rooms/:room', { events: ChatEvents }) // GET /events/rooms/:room, joins 'rooms/<room>'
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
    // Two arguments after the method's own: the response, which tells Nest the library answers
    // the request, and the endpoint that does. The method itself never sees them.
    const responseIndex = Math.max(
      (Reflect.getMetadata('design:paramtypes', target, key) as unknown[] | undefined)?.length ?? 0,
      original.length,
    );
    Res()(target, key, responseIndex);
    Endpoint(SseStreamsPipe)(target, key, responseIndex + 1);
    const shim = endpointShim(
      original as Method,
      responseIndex + 1,
      `${target.constructor.name}.${String(key)}`,
    );
    inheritMetadata(original, shim);
    (descriptor as { value?: unknown }).value = shim;
    const metadata: SseChannelMetadata = {
      path: trimSlashes(path),
      options: options as SseChannelOptions<never>,
      responseIndex,
    };
    applyDecorators(Get(path), SetMetadata(SSE_CHANNEL_METADATA, metadata))(
      target,
      key,
      descriptor,
    );
  };
}

/** The method as Nest calls it: the request goes to the endpoint, which calls `original`. */
function endpointShim(original: Method, endpointIndex: number, route: string): Method {
  const shim = function (this: object, ...args: unknown[]): Promise<void> {
    const endpoint = args[endpointIndex] as ChannelEndpoint | undefined;
    // Only when called other than through Nest's route (e.g. directly, in a unit test).
    if (endpoint === undefined) throw new Error(SseMessages.handlerNotDecorated(route));
    return endpoint.serve(this, shim, original, args);
  };
  Object.defineProperty(shim, 'name', { value: original.name });
  return shim;
}

/** Decorators applied below `@SseChannel()` stored their metadata on the original function. */
function inheritMetadata(from: object, to: object): void {
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
}
