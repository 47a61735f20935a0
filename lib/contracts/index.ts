export { defineSseEvents, ssePayload } from './define-sse-events.js';
