export * from './sse-event.error.js';
