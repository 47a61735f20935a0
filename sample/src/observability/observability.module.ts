import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SseHealthIndicator } from 'nestjs-sse-channels/terminus';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';
import { SampleTelemetry } from './sample-telemetry.js';

/** `GET /metrics` (Prometheus) and `GET /health` (terminus), and the SDK behind the first. */
@Module({
  imports: [TerminusModule],
  controllers: [MetricsController, HealthController],
  providers: [SampleTelemetry, SseHealthIndicator],
  exports: [SampleTelemetry],
})
export class ObservabilityModule {}
