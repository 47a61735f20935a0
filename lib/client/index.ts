export { connect } from './connect.js';
export * from './errors/index.js';
export type * from './interfaces/index.js';
