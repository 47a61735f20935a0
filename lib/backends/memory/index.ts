export * from './memory.backend.js';
