import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { SseHealth, SseHealthCheckOptions } from '../interfaces/sse-health.interface.js';
import { ConnectionRegistry } from '../services/connection-registry.service.js';
import { checkThreshold, healthProblem } from './health-verdict.js';

/**
 * A `@nestjs/terminus` health indicator for readiness: down (terminus answers 503) while the
 * backend is unavailable (Redis unreachable or not subscribed), while `app.close()` is under
 * way, or once live streams reach `connectionsThreshold` of `maxConnections`; up otherwise.
 * Either way its details carry the figures (`ConnectionRegistry.health()`), and when down a
 * `message` saying why. It reads state the module already holds: no request goes to Redis.
 *
 * Register it as a provider of a module that imports `TerminusModule` (`SseModule`, global,
 * provides the `ConnectionRegistry` it reads).
 *
 * @example
 * \@Controller('health')
 * class HealthController {
 *   constructor(private health: HealthCheckService, private sse: SseHealthIndicator) {}
 *
 *   \@Get('ready')
 *   \@HealthCheck()
 *   ready() {
 *     return this.health.check([() => this.sse.isHealthy('sse', { connectionsThreshold: 0.9 })]);
 *   }
 * }
 *
 * \@Module({
 *   imports: [TerminusModule],
 *   controllers: [HealthController],
 *   providers: [SseHealthIndicator],
 * })
 * export class HealthModule {}
 */
@Injectable()
export class SseHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly registry: ConnectionRegistry,
  ) {}

  /**
   * The indicator's result under `key`. Throws a `RangeError` if `connectionsThreshold` is not
   * above 0 and at most 1.
   */
  isHealthy<TKey extends string = 'sse'>(
    key: TKey = 'sse' as TKey,
    options: SseHealthCheckOptions = {},
  ): HealthIndicatorResult<TKey> {
    const threshold = options.connectionsThreshold ?? 1;
    checkThreshold(threshold);
    const health = this.registry.health();
    const problem = healthProblem(health, threshold);
    const session = this.indicators.check(key);
    return problem === undefined
      ? session.up(details(health))
      : session.down({ message: problem, ...details(health) });
  }
}

/** The figures every result carries; `maxConnections` is left out when there is no limit. */
function details(health: SseHealth) {
  return {
    connections: health.connections,
    ...(health.maxConnections !== undefined && { maxConnections: health.maxConnections }),
    stopping: health.stopping,
    backend: { ...health.backend },
  };
}
