export * from './sse-admin-options.js';
export * from './sse-admin.controller.js';
