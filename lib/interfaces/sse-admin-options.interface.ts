import type { CanActivate, Type } from '@nestjs/common';

/** The optional admin routes: registry stats as JSON and as a live stream. Off by default. */
export interface SseAdminOptions {
  /** Route prefix, e.g. `'admin/sse'`: serves `GET stats`, `GET connections`, `GET stats/stream`. */
  readonly path: string;
  /** Guards protecting every admin route; at least one (the routes expose user ids and IPs). */
  readonly guards: ReadonlyArray<Type<CanActivate> | CanActivate>;
  /** How often the stats stream sends an update. Default 1000. */
  readonly statsIntervalMs?: number;
}
