import type { CanActivate, Type } from '@nestjs/common';
import { SSE_LIMITS } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';

/** The optional admin routes: registry stats as JSON and as a live stream. Off by default. */
export interface SseAdminOptions {
  /** Route prefix, e.g. `'admin/sse'`: serves `GET stats`, `GET connections`, `GET stats/stream`. */
  readonly path: string;
  /** Guards protecting every admin route; at least one (the routes expose user ids and IPs). */
  readonly guards: ReadonlyArray<Type<CanActivate> | CanActivate>;
  /** How often the stats stream sends an update. Default 1000. */
  readonly statsIntervalMs?: number;
}

/** Validates the admin options where the module is declared, so a mistake fails the boot. */
export function checkedAdminOptions(admin: SseAdminOptions): Required<SseAdminOptions> {
  const problems: string[] = [];
  if (typeof admin.path !== 'string' || admin.path.trim() === '')
    problems.push(SseMessages.adminPath(admin.path));
  if (!Array.isArray(admin.guards) || admin.guards.length === 0)
    problems.push(SseMessages.adminGuards());
  const interval = admin.statsIntervalMs ?? 1_000;
  const { min, max } = SSE_LIMITS.adminStatsIntervalMs;
  if (!Number.isInteger(interval) || interval < min || interval > max) {
    problems.push(
      SseMessages.optionOutOfRange(
        'admin.statsIntervalMs',
        `an integer from ${min} to ${max}`,
        interval,
      ),
    );
  }
  if (problems.length > 0) throw new Error(SseMessages.invalidOptions(problems));
  return { path: admin.path, guards: admin.guards, statsIntervalMs: interval };
}
