import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Inject, Injectable, Module } from '@nestjs/common';
import {
  BroadcastService,
  InjectSseOptions,
  SseChannel,
  SseModule,
  type ResolvedSseOptions,
  type SseModuleOptions,
} from '../lib/index.js';
import { ADAPTERS, startApp, type AdapterName, type RunningApp } from './support/app.js';
import { openRawStream } from './support/sse-clients.js';

const CONFIG = 'CONFIG';

@Module({
  providers: [{ provide: CONFIG, useValue: { heartbeat: 25, retry: 500 } }],
  exports: [CONFIG],
})
class ConfigModule {}

@Injectable()
class SseConfig {
  constructor(@Inject(CONFIG) private readonly config: { heartbeat: number; retry: number }) {}
  createSseOptions(): SseModuleOptions {
    return { heartbeatIntervalMs: this.config.heartbeat, retryMs: this.config.retry };
  }
}

/** A feature module that does not import SseModule: the root import is global. */
@Controller('feature')
class FeatureController {
  constructor(readonly broadcast: BroadcastService) {}
  @SseChannel('news')
  news(): void {}
}
@Module({ controllers: [FeatureController] })
class FeatureModule {}

@Injectable()
class OptionsProbe {
  constructor(@InjectSseOptions() readonly options: ResolvedSseOptions) {}
}

const apps: RunningApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((running) => running.close()));
});

async function boot(
  sse: ReturnType<typeof SseModule.forRoot>,
  adapter: AdapterName,
): Promise<RunningApp> {
  @Module({ imports: [sse, FeatureModule], providers: [OptionsProbe] })
  class AppModule {}
  const running = await startApp(AppModule, adapter);
  apps.push(running);
  return running;
}

/** The options reached the wire: a stream opens with their retry hint. */
async function expectRetryHint({ url }: RunningApp, retryMs: number): Promise<void> {
  const stream = await openRawStream(`${url}/feature/news`);
  await stream.waitFor(() => stream.raw().startsWith(`retry: ${retryMs}\n\n`));
  stream.close();
}

describe.each(ADAPTERS)('SseModule options on %s', (adapter) => {
  it('forRootAsync with useFactory and inject', async () => {
    const running = await boot(
      SseModule.forRootAsync({
        imports: [ConfigModule],
        inject: [CONFIG],
        useFactory: (config: { heartbeat: number; retry: number }) => ({
          heartbeatIntervalMs: config.heartbeat,
          retryMs: config.retry,
        }),
      }),
      adapter,
    );
    expect(running.app.get(OptionsProbe).options).toMatchObject({
      heartbeatIntervalMs: 25,
      retryMs: 500,
    });
    await expectRetryHint(running, 500);
  });

  it('forRootAsync with useClass', async () => {
    const running = await boot(
      SseModule.forRootAsync({ imports: [ConfigModule], useClass: SseConfig }),
      adapter,
    );
    expect(running.app.get(OptionsProbe).options).toMatchObject({
      heartbeatIntervalMs: 25,
      retryMs: 500,
    });
    await expectRetryHint(running, 500);
  });

  it('forRootAsync with useExisting', async () => {
    @Module({ imports: [ConfigModule], providers: [SseConfig], exports: [SseConfig] })
    class SseConfigModule {}
    const running = await boot(
      SseModule.forRootAsync({ imports: [SseConfigModule], useExisting: SseConfig }),
      adapter,
    );
    expect(running.app.get(OptionsProbe).options).toMatchObject({
      heartbeatIntervalMs: 25,
      retryMs: 500,
    });
    await expectRetryHint(running, 500);
  });

  it('is global by default, so feature modules use @SseChannel and BroadcastService without importing it', async () => {
    const { app, url } = await boot(SseModule.forRoot(), adapter);
    const stream = await openRawStream(`${url}/feature/news`);
    await stream.waitFor(() => stream.raw().includes('retry: 3000'));
    await app.get(FeatureController).broadcast.publish('news', { data: 'extra' });
    await stream.waitFor((events) => events[0]?.data === 'extra');
    stream.close();
  });

  it('with isGlobal: false, a feature module that does not import it fails the boot with a DI error', async () => {
    await expect(boot(SseModule.forRoot({ isGlobal: false }), adapter)).rejects.toThrow(
      /SseStreamsPipe.*FeatureModule/s,
    );
  });

  it.each([
    [
      { heartbeatIntervalMs: 0 },
      'heartbeatIntervalMs must be an integer from 10 to 3600000 (got 0)',
    ],
    [{ retryMs: -5 }, 'retryMs must be an integer from 0 to 3600000 (got -5)'],
    [{ heartbeatIntervalMS: 100 }, 'heartbeatIntervalMS is not an SseModule option'],
  ])('fails the boot for %j with a message naming the option', async (options, message) => {
    await expect(boot(SseModule.forRoot(options as SseModuleOptions), adapter)).rejects.toThrow(
      message,
    );
  });

  it('fails the boot for an invalid option from forRootAsync', async () => {
    await expect(
      boot(SseModule.forRootAsync({ useFactory: () => ({ retryMs: 1.5 }) }), adapter),
    ).rejects.toThrow('retryMs must be an integer from 0 to 3600000 (got 1.5)');
  });
});
