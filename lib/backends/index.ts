/**
 * `nestjs-sse-channels/backend`: what a backend is written against. The contract (`SseBackend`
 * and what it is handed), the frames it stores and delivers, the rule for positions, the
 * connection-id rule that routes targeted sends, and the errors it rejects with. `MemoryBackend`
 * uses nothing else of the library but its error texts.
 */
export type {
  SseBackend,
  SseBackendContext,
  SseChannelWatcher,
  SseLocalDelivery,
  SseLocalSnapshot,
  SsePublishRequest,
  SseReplayRequest,
  SseReplayResult,
} from '../interfaces/sse-backend.interface.js';
export type { OutboundFrame, PreparedEvent } from '../interfaces/sse-frame.interface.js';
export type { SseBackendHealth, SseCatchUpHealth } from '../interfaces/sse-health.interface.js';
export type {
  ConnectionFilter,
  SseCloseReason,
  SseClusterStats,
  SseConnectionInfo,
} from '../interfaces/sse-connection-info.interface.js';
export type { SseHistoryEntry } from '../interfaces/history.interface.js';
export type { PublishResult } from '../interfaces/publish.interface.js';
export { frameOf, frameText } from '../wire/sse-frame.js';
export { targetedFrame } from '../connection/outbound-frame.js';
export { historyEntryOf } from '../wire/frame-reader.js';
export { comparePositions, isPosition } from '../wire/stream-position.js';
export { instanceOfConnection } from '../wire/connection-id.js';
export { SseBackendUnavailableError } from '../errors/sse-backend-unavailable.error.js';
export { SseChannelFinishedError } from '../errors/sse-channel-finished.error.js';
export { SseShutdownError } from '../errors/sse-shutdown.error.js';
export { SseUnknownEventIdError } from '../errors/sse-unknown-event-id.error.js';
