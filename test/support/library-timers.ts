import { createHook, type AsyncHook } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';

const LIB_DIR = fileURLToPath(new URL('../../lib/', import.meta.url));
const TEST_DIR = fileURLToPath(new URL('../', import.meta.url));
const HERE = fileURLToPath(import.meta.url);
// Frames of Node's timer machinery and of async_hooks, between the hook and whoever asked.
const TIMER_INTERNALS = /^node:(timers|internal\/timers|internal\/async_hooks)$/;
// Deep enough to pass the hook, Node's timer frames and rxjs operators on the way to lib/.
const STACK_DEPTH = 60;

interface Tracked {
  readonly timer: WeakRef<object>;
  /** The lib/ file that scheduled it. */
  readonly createdAt: string;
  /** `destroy` came: cleared, or a one-shot that ran. */
  destroyed: boolean;
}

export interface LibraryTimerProbe {
  /**
   * Library timers scheduled now (created, neither cleared nor run to completion), counted by
   * the lib/ file that created them: `{ 'lib/connection/connection-clock.service.ts': 1 }`.
   */
  live(): Record<string, number>;
  /** How many library timers are scheduled now. */
  count(): number;
  stop(): void;
}

/**
 * Tracks the timers lib/ schedules, from the moment it is called.
 * `process.getActiveResourcesInfo()` cannot do this: it leaves out unref'd timers, and the
 * library's timers are unref'd.
 *
 * A `Timeout` counts from its async `init` to its `destroy` (cleared, or a one-shot that ran),
 * so a re-armed interval or a `refresh()`ed pending timer stays one timer. A timer counts as the
 * library's when the nearest project frame on its creation stack is in lib/ (through rxjs, say);
 * one a test fixture schedules (even when lib/ calls the fixture) is not, and neither is one
 * Node's net/http code sets on a socket, which lives and dies with the socket.
 */
export function trackLibraryTimers(): LibraryTimerProbe {
  const tracked = new Map<number, Tracked>();
  const hook: AsyncHook = createHook({
    init(asyncId, type, _triggerId, resource) {
      if (type !== 'Timeout') return;
      const createdAt = libraryCaller();
      if (createdAt)
        tracked.set(asyncId, { timer: new WeakRef(resource), createdAt, destroyed: false });
    },
    destroy(asyncId) {
      const entry = tracked.get(asyncId);
      if (entry) entry.destroyed = true;
    },
  });
  hook.enable();
  const live = (): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const [asyncId, entry] of tracked) {
      if (entry.destroyed && !rescheduled(entry.timer.deref())) tracked.delete(asyncId);
      else counts[entry.createdAt] = (counts[entry.createdAt] ?? 0) + 1;
    }
    return counts;
  };
  return {
    live,
    count: () => Object.values(live()).reduce((sum, n) => sum + n, 0),
    stop: () => hook.disable(),
  };
}

/**
 * A one-shot timer `refresh()`ed after it ran is scheduled again without a new `init` (and
 * will not report `destroy` again): Node links scheduled timers into its timer lists through
 * `_idleNext`, and unlinks them (null) when they run or are cleared.
 */
function rescheduled(timer: object | undefined): boolean {
  return (timer as { _idleNext?: unknown } | undefined)?._idleNext != null;
}

/** The lib/ file that scheduled the timer being initialised, or undefined. */
function libraryCaller(): string | undefined {
  const sites = callSites();
  // The hook (this file) and Node's timer frames come first; then whoever asked for the timer.
  let index = 0;
  while (index < sites.length) {
    const file = fileOf(sites[index]);
    if (file !== HERE && !TIMER_INTERNALS.test(file)) break;
    index++;
  }
  // Node's net/http code sets timers on sockets; they live and die with the socket.
  if (fileOf(sites[index]).startsWith('node:')) return undefined;
  for (; index < sites.length; index++) {
    const file = fileOf(sites[index]);
    if (file.startsWith(LIB_DIR)) return `lib/${file.slice(LIB_DIR.length)}`;
    if (file.startsWith(TEST_DIR)) return undefined;
  }
  return undefined;
}

function fileOf(site: NodeJS.CallSite | undefined): string {
  const name = site?.getFileName() ?? '';
  return name.startsWith('file://') ? fileURLToPath(name) : name;
}

function callSites(): NodeJS.CallSite[] {
  const { prepareStackTrace, stackTraceLimit } = Error;
  Error.stackTraceLimit = STACK_DEPTH;
  Error.prepareStackTrace = (_error, sites) => sites;
  try {
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, callSites);
    return (holder.stack as NodeJS.CallSite[] | undefined) ?? [];
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}
