export type { SseAdminOptions } from './admin/sse-admin-options.js';
export { MemoryBackend } from './backends/memory/memory.backend.js';
export type * from './backends/sse-backend.interface.js';
export type { OutboundFrame } from './connection/outbound-frame.js';
export type { SlowConsumerPolicy } from './connection/outbound-queue.js';
export { InjectSseOptions } from './decorators/inject-sse-options.decorator.js';
export { SseAbortSignal } from './decorators/sse-abort-signal.decorator.js';
export { SseChannel } from './decorators/sse-channel.decorator.js';
export { SseConnectionId } from './decorators/sse-connection-id.decorator.js';
export * from './errors/index.js';
export { SseExceptionFilter } from './filters/sse-exception.filter.js';
export type * from './interfaces/index.js';
export {
  FinishedOptions,
  HistoryOptions,
  SseChannelDeclaration,
  SseModuleOptions,
  type ResolvedSseOptions,
} from './options/sse-module-options.js';
export { BroadcastService } from './services/broadcast.service.js';
export {
  ConnectionRegistry,
  type ConnectionFilter,
} from './services/connection-registry.service.js';
export { SSE_OPTIONS } from './sse.constants.js';
export { SseModule } from './sse.module.js';
export type { SseModuleAsyncOptions, SseModuleExtras } from './sse.module-definition.js';
export type { PreparedEvent } from './wire/event-encoder.js';
export {
  LIBRARY_EVENTS,
  type SseResetData,
  type SseResetReason,
  type SseStreamErrorData,
} from './protocol/library-events.js';
