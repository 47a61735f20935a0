export * from './sse-backend-unavailable.error.js';
export * from './sse-event.error.js';
export * from './sse-finished.exception.js';
export * from './sse-payload-validation.error.js';
export * from './sse-shutdown.error.js';
export * from './sse-unknown-event-id.error.js';
