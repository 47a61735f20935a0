export * from './event-encoder.js';
export * from './event-id.js';
export * from './frame-reader.js';
export * from './to-sse-event.js';
