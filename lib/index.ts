export { SseChannel } from './decorators/sse-channel.decorator.js';
export { SseAbortSignal } from './decorators/sse-abort-signal.decorator.js';
export { InjectSseOptions } from './decorators/inject-sse-options.decorator.js';
export { SseEventError } from './errors/sse-event.error.js';
export type * from './interfaces/index.js';
export { SseModuleOptions, type ResolvedSseOptions } from './options/sse-module-options.js';
export { BroadcastService } from './services/broadcast.service.js';
export {
  ConnectionRegistry,
  type ConnectionFilter,
} from './services/connection-registry.service.js';
export { SSE_OPTIONS } from './sse.constants.js';
export { SseModule } from './sse.module.js';
export type { SseModuleAsyncOptions } from './sse.module-definition.js';
