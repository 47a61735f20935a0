import { ConfigurableModuleBuilder } from '@nestjs/common';
import { checkedAdminOptions } from './admin/sse-admin-options.js';
import { createSseAdminController } from './admin/sse-admin.controller.js';
import type { SseModuleExtras } from './interfaces/sse-module-extras.interface.js';
import type { SseModuleOptions } from './options/sse-module-options.js';
import { SSE_DEFAULTS } from './sse.constants.js';

/**
 * `forRoot` / `forRootAsync` (with `useFactory`, `useClass`, `useExisting`) come from the
 * builder. `isGlobal` defaults to true: a second instance imported by a feature module would
 * silently split broadcasts in two. `admin` is an extra because it declares a controller, which
 * must be known before any factory runs.
 */
export const {
  ConfigurableModuleClass: ConfigurableSseModule,
  MODULE_OPTIONS_TOKEN: SSE_MODULE_OPTIONS,
  OPTIONS_TYPE: SSE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SSE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SseModuleOptions>({ moduleName: 'Sse' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSseOptions')
  // Every extra needs a key here: the builder strips only these keys from the options.
  .setExtras<SseModuleExtras>(
    { isGlobal: SSE_DEFAULTS.isGlobal, admin: undefined },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      controllers: extras.admin
        ? [createSseAdminController(checkedAdminOptions(extras.admin))]
        : [],
    }),
  )
  .build();

/** What `SseModule.forRootAsync()` accepts: `imports`, `inject`, and one of `useFactory`, `useClass`, `useExisting`. */
export type SseModuleAsyncOptions = typeof SSE_ASYNC_OPTIONS_TYPE;
