export { MemoryBackend } from './backends/memory/memory.backend.js';
export * from './contracts/index.js';
export * from './decorators/index.js';
export * from './errors/index.js';
export * from './filters/index.js';
export type * from './interfaces/index.js';
export * from './options/index.js';
export type {
  SseDataDecoding,
  SseEventContract,
  SseEventMap,
  SseEventsOf,
  SseJson,
  SseJsonSchema,
  SsePayloadClass,
  SsePayloadSpec,
  SsePayloadType,
  SseWireData,
} from './protocol/event-contract.js';
export {
  LIBRARY_EVENTS,
  type SseResetData,
  type SseResetReason,
  type SseStreamErrorData,
} from './protocol/library-events.js';
export * from './services/index.js';
export { SSE_OPTIONS } from './sse.constants.js';
export { SseModule } from './sse.module.js';
export type { SseModuleAsyncOptions } from './sse.module-definition.js';
