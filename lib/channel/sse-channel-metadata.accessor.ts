import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { SseChannelOptions } from '../interfaces/sse-channel-options.interface.js';
import { NEST_PATH_METADATA, SSE_CHANNEL_METADATA } from '../sse.constants.js';
import { handlerParamsOf, type SseHandlerParam } from './sse-handler-params.js';

/** What `@SseChannel()` records on the handler. */
export interface SseChannelMetadata {
  /** The method's route path, without leading or trailing slashes. */
  readonly path: string;
  readonly options: SseChannelOptions<never>;
  /**
   * The index of the argument holding the response, after the method's own; the next one holds
   * the endpoint that serves the request.
   */
  readonly responseIndex: number;
}

/** Where the routes' metadata is read, so keys and shapes are known in a single file. */
@Injectable()
export class SseChannelMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getChannelMetadata(handler: object): SseChannelMetadata | undefined {
    return this.reflector.get<SseChannelMetadata | undefined>(
      SSE_CHANNEL_METADATA,
      handler as never,
    );
  }

  /** The parameters of `prototype[method]` that `@SseConnectionId()` and `@SseAbortSignal()` mark. */
  getHandlerParams(prototype: object, method: string | symbol): readonly SseHandlerParam[] {
    return handlerParamsOf(prototype, method);
  }

  /** The controller's first route path (`@Controller('events')`), or '' when it has none. */
  getControllerPath(controller: object): string {
    const path = this.reflector.get<string | string[] | undefined>(
      NEST_PATH_METADATA,
      controller as never,
    );
    return trimSlashes((Array.isArray(path) ? path[0] : path) ?? '');
  }
}

export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
