import { BadRequestException, NotFoundException } from '@nestjs/common';
import { isEventContract } from '../contracts/define-sse-events.js';
import type { SseChannelNames, SseRequest } from '../interfaces/sse-channel-options.interface.js';
import { SseMessages } from '../sse.messages.js';
import { MAX_STREAM_CHANNELS } from '../wire/stream-position.js';
import type { EventSender } from '../wire/to-sse-event.js';
import { isValidChannelName } from './channel-name.js';
import type { SseChannelMetadata } from './sse-channel-metadata.accessor.js';
import type { SseHandlerParam } from './sse-handler-params.js';

const PLACEHOLDER = /:([A-Za-z0-9_]+)/g;

/** A compiled `@SseChannel()` route: its name for messages and how it picks its channels. */
export interface SseRoute {
  /** `Controller.method`, for error messages and logs. */
  readonly name: string;
  /** Who sends what the handler emits, as errors about those events name it. */
  readonly sender: EventSender;
  /** The channels a request joins; throws 404 when there are none and 400 for invalid names. */
  channelsFor(request: SseRequest): readonly string[];
  /** The route's `replayOnConnect`, when it overrides the module's. */
  readonly replayOnConnect?: number;
  /** Where the handler's arguments hold the response (see `@SseChannel()`). */
  readonly responseIndex: number;
  /** The handler's parameters the library fills once the request is admitted. */
  readonly params: readonly SseHandlerParam[];
}

/**
 * Compiles a route's channel rule once, at boot: templates are parsed and checked against the
 * params the route declares, so a typo fails the boot instead of a request.
 */
export function compileSseRoute(
  name: string,
  controllerPath: string,
  metadata: SseChannelMetadata,
  params: readonly SseHandlerParam[],
): SseRoute {
  const declared = new Set([...placeholders(controllerPath), ...placeholders(metadata.path)]);
  const rule = metadata.options.channel ?? (metadata.path || controllerPath);
  if (rule === '') throw new Error(SseMessages.channelMissing(name));
  const { replayOnConnect } = metadata.options;
  if (
    replayOnConnect !== undefined &&
    !(Number.isInteger(replayOnConnect) && replayOnConnect >= 0)
  ) {
    throw new Error(SseMessages.routeReplayInvalid(name, replayOnConnect));
  }
  const { events } = metadata.options;
  if (events !== undefined && !isEventContract(events))
    throw new Error(SseMessages.routeEventsInvalid(name, events));
  const sender: EventSender = { name: `@SseChannel() handler ${name}`, mayChooseId: true };
  const base = { name, sender, replayOnConnect, responseIndex: metadata.responseIndex, params };
  if (typeof rule === 'function') {
    const resolve = rule as (request: SseRequest) => SseChannelNames;
    return { ...base, channelsFor: (request) => checked(resolve(request)) };
  }
  const templates = (typeof rule === 'string' ? [rule] : [...rule]).map((template) => {
    for (const param of placeholders(template)) {
      if (!declared.has(param))
        throw new Error(SseMessages.channelTemplateUnknownParam(name, template, param));
    }
    return template;
  });
  if (templates.every((template) => placeholders(template).length === 0)) {
    // The same channels for every request: one frozen list, shared by all its connections.
    let fixed: readonly string[] | undefined;
    return { ...base, channelsFor: () => (fixed ??= Object.freeze(checked(templates))) };
  }
  return {
    ...base,
    channelsFor: (request) => checked(templates.map((t) => fill(t, request.params))),
  };
}

function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1] as string);
}

function fill(template: string, params: SseRequest['params']): string {
  return template.replace(PLACEHOLDER, (_, param: string) => {
    const value = params[param];
    return Array.isArray(value) ? value.join('/') : (value ?? '');
  });
}

/** The channels a stream joins, each once, in the order given. */
function checked(names: SseChannelNames): string[] {
  if (names === undefined) throw new NotFoundException(SseMessages.noChannelForRequest());
  const list = typeof names === 'string' ? [names] : [...new Set(names)];
  for (const name of list)
    if (!isValidChannelName(name)) throw new BadRequestException(SseMessages.channelInvalid(name));
  // Each channel adds its position to the stream's ids (see stream-position.ts).
  if (list.length > MAX_STREAM_CHANNELS)
    throw new BadRequestException(SseMessages.tooManyChannels(list.length, MAX_STREAM_CHANNELS));
  return list;
}
