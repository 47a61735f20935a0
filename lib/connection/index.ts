export * from './channel-hub.js';
export * from './connection-clock.service.js';
export * from './connection-pool.js';
export * from './outbound-frame.js';
export * from './outbound-queue.js';
export * from './sse-connection.js';
export * from './sse-stream.service.js';
