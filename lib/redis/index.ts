export { RedisBackend } from './redis.backend.js';
export { RedisBackendOptions, RedisClusterOptions } from './redis-backend-options.js';
export type {
  RedisBackendHealth,
  RedisConnectionStatus,
} from '../interfaces/sse-health.interface.js';
