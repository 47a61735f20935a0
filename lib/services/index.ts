export * from './broadcast.service.js';
export * from './connection-registry.service.js';
