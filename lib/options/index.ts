export * from './resolve-sse-options.js';
export * from './sse-module-options.js';
