export * from './channel-hub.js';
export * from './connection-pool.js';
export * from './heartbeat.service.js';
export * from './sse-connection.js';
