import { SSE_HANDLER_PARAMS_METADATA } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';

/** A parameter the library fills once the request is admitted. */
export interface SseHandlerParam {
  readonly index: number;
  readonly kind: 'connectionId' | 'abortSignal';
}

/** The decorator that marks each kind, as messages name it. */
export const HANDLER_PARAM_DECORATORS: Record<SseHandlerParam['kind'], string> = {
  connectionId: '@SseConnectionId()',
  abortSignal: '@SseAbortSignal()',
};

/** Records that parameter `index` of a method receives `kind`; `@SseChannel()` fills it in. */
export function handlerParam(kind: SseHandlerParam['kind']): ParameterDecorator {
  return (target, key, index) => {
    if (key === undefined)
      throw new TypeError(SseMessages.paramOnConstructor(HANDLER_PARAM_DECORATORS[kind]));
    const params = handlerParamsOf(target, key);
    Reflect.defineMetadata(SSE_HANDLER_PARAMS_METADATA, [...params, { index, kind }], target, key);
  };
}

export function handlerParamsOf(target: object, key: string | symbol): readonly SseHandlerParam[] {
  return (
    (Reflect.getOwnMetadata(SSE_HANDLER_PARAMS_METADATA, target, key) as
      SseHandlerParam[] | undefined) ?? []
  );
}
