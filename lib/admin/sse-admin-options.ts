import type { SseAdminOptions } from '../interfaces/sse-admin-options.interface.js';
import { SSE_DEFAULTS, SSE_LIMITS } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';

/** Validates the admin options where the module is declared, so a mistake fails the boot. */
export function checkedAdminOptions(admin: SseAdminOptions): Required<SseAdminOptions> {
  const problems: string[] = [];
  if (typeof admin.path !== 'string' || admin.path.trim() === '')
    problems.push(SseMessages.adminPath(admin.path));
  if (!Array.isArray(admin.guards) || admin.guards.length === 0)
    problems.push(SseMessages.adminGuards());
  const interval = admin.statsIntervalMs ?? SSE_DEFAULTS.adminStatsIntervalMs;
  const { min, max } = SSE_LIMITS.adminStatsIntervalMs;
  if (!Number.isInteger(interval) || interval < min || interval > max) {
    problems.push(
      SseMessages.optionOutOfRange(
        'admin.statsIntervalMs',
        SseMessages.integerRange(min, max),
        interval,
      ),
    );
  }
  if (problems.length > 0) throw new Error(SseMessages.invalidOptions(problems));
  return { path: admin.path, guards: admin.guards, statsIntervalMs: interval };
}
