import { validateSync, type ValidationError } from 'class-validator';
import { SSE_DEFAULTS } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';
import { SseModuleOptions, type ResolvedSseOptions } from './sse-module-options.js';

/**
 * Merges the defaults into the user's options and validates the result. Runs once, in the
 * options provider, so an invalid value fails the boot before any route is served.
 */
export function resolveSseOptions(input: SseModuleOptions | undefined): ResolvedSseOptions {
  const options = Object.assign(
    new SseModuleOptions(),
    SSE_DEFAULTS,
    withoutUndefined(input ?? {}),
  );
  const errors = validateSync(options, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new Error(SseMessages.invalidOptions(errors.flatMap(describe)));
  return options as ResolvedSseOptions;
}

/** `{ retryMs: undefined }` means "use the default", as it does for an omitted key. */
function withoutUndefined(input: object): object {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

function describe(error: ValidationError): string[] {
  const own = Object.values(error.constraints ?? {});
  // class-validator reports every failed constraint; one message per option is enough.
  const first = own.find((m) => m.startsWith(error.property)) ?? own[0];
  const mine = first === undefined ? [] : [rename(error.property, first)];
  return [
    ...mine,
    ...(error.children ?? []).flatMap(describe).map((m) => `${error.property}.${m}`),
  ];
}

function rename(property: string, message: string): string {
  return message === `property ${property} should not exist`
    ? `${property} is not an SseModule option`
    : message;
}
