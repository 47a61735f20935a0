export * from './channel-name.js';
export * from './channel-rules.js';
export * from './sse-admission.js';
export * from './sse-channel-metadata.accessor.js';
export * from './sse-handler-params.js';
export * from './sse-route-table.js';
export * from './sse-route.js';
export * from './sse-streams.pipe.js';
