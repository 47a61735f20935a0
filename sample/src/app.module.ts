import { Module, type DynamicModule } from '@nestjs/common';
import { SseModule, type SseModuleOptions } from 'nestjs-sse-channels';
import { SseSwaggerModule } from 'nestjs-sse-channels/swagger';
import { ActivityModule } from './activity/activity.module.js';
import { AuthModule } from './auth/auth.module.js';
import { SessionGuard } from './auth/session.guard.js';
import { ChatEvents } from './chat/chat.events.js';
import { ChatModule } from './chat/chat.module.js';
import { CompletionsModule } from './completions/completions.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { SampleTelemetry } from './observability/sample-telemetry.js';
import { PagesModule } from './pages/pages.module.js';
import { SAMPLE_CONFIG, type SampleConfig } from './sample-config.js';

/** The sample's SSE settings; the backend is Redis only when SSE_REDIS_URL is set. */
async function sseOptions(
  config: SampleConfig,
  telemetry: SampleTelemetry,
): Promise<SseModuleOptions> {
  return {
    backend: config.redisUrl ? await redisBackend(config.redisUrl) : undefined,
    heartbeatIntervalMs: 15_000,
    retryMs: 1_000,
    history: { size: 200 },
    maxConnections: 1_000,
    maxConnectionsPerUser: 20,
    metrics: {
      meterProvider: telemetry.meterProvider,
      // A bounded label: the sample's channels are named <kind>/<id>, and there are few kinds.
      channelAttribute: (channel) => channel.split('/', 1)[0],
    },
    // Every publish to a room is checked against its contract before anything is sent.
    channels: [{ pattern: 'rooms/:room', events: ChatEvents }],
  };
}

/** Loaded only when asked for, so the in-memory default runs without ioredis. */
async function redisBackend(url: string) {
  const { RedisBackend } = await import('nestjs-sse-channels/redis');
  return new RedisBackend({ url, keyPrefix: 'sse-sample:' });
}

@Module({})
export class AppModule {
  static register(config: SampleConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      providers: [{ provide: SAMPLE_CONFIG, useValue: config }],
      exports: [SAMPLE_CONFIG],
      imports: [
        SseModule.forRootAsync({
          imports: [ObservabilityModule],
          inject: [SampleTelemetry],
          useFactory: (telemetry: SampleTelemetry) => sseOptions(config, telemetry),
          // The registry's own figures as JSON (GET /admin/sse/stats), for signed-in users.
          admin: { path: 'admin/sse', guards: [SessionGuard] },
        }),
        // Documents every @SseChannel() route in the OpenAPI document main.ts serves at /api.
        SseSwaggerModule,
        AuthModule,
        ActivityModule,
        ChatModule,
        CompletionsModule,
        JobsModule,
        DashboardModule,
        PagesModule,
        ObservabilityModule,
      ],
    };
  }
}
