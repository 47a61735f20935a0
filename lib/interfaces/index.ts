export * from './history.interface.js';
export * from './publish.interface.js';
export * from './sse-channel-options.interface.js';
export * from './sse-connection-info.interface.js';
export * from './sse-event.interface.js';
