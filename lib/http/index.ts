export * from './http-exchange.js';
