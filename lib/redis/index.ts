export { RedisBackend } from './redis.backend.js';
export { RedisBackendOptions } from './redis-backend-options.js';
