export * from './event-encoder.js';
export * from './to-sse-event.js';
