import { validateSync } from 'class-validator';
import type { SseRequest } from '../interfaces/sse-channel-options.interface.js';
import type { SseEvent } from '../interfaces/sse-event.interface.js';
import type { ResolvedSseOptions } from '../interfaces/sse-options.interface.js';
import { SSE_DEFAULTS } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';
import { encodeEvent } from '../wire/event-encoder.js';
import { toSseEvent } from '../wire/to-sse-event.js';
import { validationMessages } from './option-validators.js';
import {
  FinishedOptions,
  HistoryOptions,
  SseChannelDeclaration,
  SseMetricsOptions,
  SseModuleOptions,
} from './sse-module-options.js';

/**
 * Merges the defaults into the user's options and validates the result. Runs once, in the
 * options provider, so an invalid value fails the boot before any route is served.
 */
export function resolveSseOptions(input: SseModuleOptions | undefined): ResolvedSseOptions {
  const given = withoutUndefined(input ?? {}) as SseModuleOptions;
  const options = Object.assign(new SseModuleOptions(), given, {
    history: given.history && Object.assign(new HistoryOptions(), withoutUndefined(given.history)),
    finished:
      given.finished && Object.assign(new FinishedOptions(), withoutUndefined(given.finished)),
    channels: given.channels?.map((c) => Object.assign(new SseChannelDeclaration(), c)),
    metrics: given.metrics && Object.assign(new SseMetricsOptions(), given.metrics),
  });
  const errors = validateSync(options, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  const messages = validationMessages(errors, 'an SseModule');
  const shutdownEvent = checkedEvent(
    'shutdownEvent',
    given.shutdownEvent === undefined ? SSE_DEFAULTS.shutdownEvent : given.shutdownEvent,
    messages,
  );
  const history = {
    ...SSE_DEFAULTS.history,
    maxAgeMs: undefined,
    ...withoutUndefined(given.history ?? {}),
  };
  const replayOnConnect = given.replayOnConnect ?? SSE_DEFAULTS.replayOnConnect;
  if (replayOnConnect > history.size)
    messages.push(SseMessages.replayOnConnectAboveHistory(replayOnConnect, history.size));
  if (messages.length > 0) throw new Error(SseMessages.invalidOptions(messages));
  return {
    backend: given.backend,
    heartbeatIntervalMs: given.heartbeatIntervalMs ?? SSE_DEFAULTS.heartbeatIntervalMs,
    retryMs: given.retryMs ?? SSE_DEFAULTS.retryMs,
    userId: given.userId ? normalizeUserId(given.userId) : defaultUserId,
    maxConnections: given.maxConnections,
    maxConnectionsPerUser: given.maxConnectionsPerUser,
    maxDurationMs: given.maxDurationMs,
    maxBufferedBytes: given.maxBufferedBytes ?? SSE_DEFAULTS.maxBufferedBytes,
    slowConsumer: given.slowConsumer ?? SSE_DEFAULTS.slowConsumer,
    history,
    replayOnConnect,
    channels: options.channels ?? [],
    shutdownEvent,
    shutdownTimeoutMs: given.shutdownTimeoutMs ?? SSE_DEFAULTS.shutdownTimeoutMs,
    finished: { ...SSE_DEFAULTS.finished, ...withoutUndefined(given.finished ?? {}) },
    metrics: {
      enabled: given.metrics?.enabled ?? SSE_DEFAULTS.metrics.enabled,
      meterProvider: given.metrics?.meterProvider,
      channelAttribute: given.metrics?.channelAttribute,
    },
  };
}

/** `req.user.id ?? req.user.sub`, as Passport strategies and JWT guards set them. */
function defaultUserId(request: SseRequest): string | undefined {
  const user = request.user as { id?: unknown; sub?: unknown } | undefined;
  const id = user?.id ?? user?.sub;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

function normalizeUserId(resolve: (request: SseRequest) => string | number | undefined) {
  return (request: SseRequest): string | undefined => {
    const id = resolve(request);
    return id === undefined || id === null ? undefined : String(id);
  };
}

/**
 * The event an option gives, checked and encoded once, id included, so a bad one fails the boot,
 * not the shutdown; null stays null. A problem is added to `problems`.
 */
function checkedEvent(option: string, event: unknown, problems: string[]): SseEvent | null {
  if (event === null) return null;
  try {
    const checked = toSseEvent(event, { name: option, mayChooseId: true });
    encodeEvent(checked);
    return checked;
  } catch (error) {
    problems.push(SseMessages.optionNotAnEvent(option, (error as Error).message));
    return null;
  }
}

/** `{ retryMs: undefined }` means "use the default", as it does for an omitted key. */
function withoutUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
