export * from './inject-sse-options.decorator.js';
export * from './sse-channel.decorator.js';
export * from './sse-abort-signal.decorator.js';
export * from './sse-connection-id.decorator.js';
