export { connect } from './connect.js';
export * from './errors/index.js';
export type * from './interfaces/index.js';
export type {
  SseDataDecoding,
  SseEventContract,
  SseEventMap,
  SseEventsOf,
  SseJson,
  SseWireData,
} from '../protocol/event-contract.js';
export {
  LIBRARY_EVENTS,
  type SseResetReason,
  type SseStreamErrorData,
} from '../protocol/library-events.js';
