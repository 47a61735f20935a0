export * from './sse-exception.filter.js';
