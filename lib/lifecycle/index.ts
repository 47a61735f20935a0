export * from './sse-lifecycle.service.js';
