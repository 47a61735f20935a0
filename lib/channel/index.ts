export * from './channel-name.js';
export * from './sse-admission.js';
export * from './sse-channel-metadata.accessor.js';
export * from './sse-channel.interceptor.js';
export * from './sse-route-table.js';
export * from './sse-route.js';
