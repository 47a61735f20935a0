export * from './option-validators.js';
export * from './resolve-sse-options.js';
export * from './sse-module-options.js';
