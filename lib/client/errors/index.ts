export * from './sse-client.error.js';
export * from './sse-connection.error.js';
export * from './sse-http.error.js';
export * from './sse-parse.error.js';
export * from './sse-stream.error.js';
