import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { SseHealthIndicator } from 'nestjs-sse-channels/terminus';

/**
 * Readiness for a load balancer: 503 while the SSE backend is unavailable (Redis down), while
 * the app shuts down, or once open streams reach 90% of `maxConnections`.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sse: SseHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.sse.isHealthy('sse', { connectionsThreshold: 0.9 })]);
  }
}
