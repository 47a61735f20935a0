export * from './sse-client-options.interface.js';
export * from './sse-message.interface.js';
export * from './sse-stream.interface.js';
