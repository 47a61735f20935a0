/**
 * `nestjs-sse-channels/terminus`: readiness of the SSE module as a `@nestjs/terminus` health
 * indicator. Needs `@nestjs/terminus` (an optional peer dependency); the rest of the library
 * never loads it.
 */
export { SseHealthIndicator } from './sse-health.indicator.js';
export type {
  SseBackendHealth,
  SseCatchUpHealth,
  SseHealth,
  SseHealthCheckOptions,
} from '../interfaces/sse-health.interface.js';
