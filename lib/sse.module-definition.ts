import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SseModuleOptions } from './options/sse-module-options.js';

/**
 * `forRoot` / `forRootAsync` (with `useFactory`, `useClass`, `useExisting`) come from the
 * builder. `isGlobal` defaults to true: the module is the application's single SSE hub, and a
 * second instance imported by a feature module would silently split broadcasts in two.
 */
export const {
  ConfigurableModuleClass: ConfigurableSseModule,
  MODULE_OPTIONS_TOKEN: SSE_MODULE_OPTIONS,
  OPTIONS_TYPE: SSE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SSE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SseModuleOptions>({ moduleName: 'Sse' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSseOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** What `SseModule.forRootAsync()` accepts: `imports`, `inject`, and one of `useFactory`, `useClass`, `useExisting`. */
export type SseModuleAsyncOptions = typeof SSE_ASYNC_OPTIONS_TYPE;
