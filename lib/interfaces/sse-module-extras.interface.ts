import type { SseAdminOptions } from './sse-admin-options.interface.js';

/** Options known when the module is declared (not from a factory): they shape routes. */
export interface SseModuleExtras {
  /** Default true: the module is the application's single SSE hub. */
  isGlobal?: boolean;
  /** Admin routes (stats JSON and live stream), guarded; off unless given. */
  admin?: SseAdminOptions;
}
