import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/**
 * The sample's OpenTelemetry SDK: one meter provider whose only reader is a Prometheus
 * exporter, read through the app's own `GET /metrics` (no second port) and by the dashboard.
 * The provider is handed to `SseModule` rather than registered globally, so two apps in one
 * process (the tests) never share instruments.
 */
@Injectable()
export class SampleTelemetry implements OnApplicationShutdown {
  readonly exporter = new PrometheusExporter({ preventServerStart: true });
  readonly meterProvider = new MeterProvider({ readers: [this.exporter] });

  async onApplicationShutdown(): Promise<void> {
    await this.meterProvider.shutdown();
  }
}
