export * from './memory/index.js';
export * from './sse-backend.interface.js';
