export * from './history-ring.js';
export * from './memory.backend.js';
