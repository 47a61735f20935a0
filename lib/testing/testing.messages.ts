import type { SseMessage, SseStream } from '../client/index.js';
import { SHOWN_DATA_LENGTH, SHOWN_MESSAGES } from './testing.constants.js';

/** What a recorded stream holds, for failure messages. */
export interface RecordedState {
  readonly stream: SseStream<unknown>;
  readonly received: readonly SseMessage<unknown>[];
  readonly dropped: number;
  readonly outcome: { readonly failed: boolean; readonly error?: unknown } | undefined;
}

/**
 * Failure texts of the testing helpers. Each one shows the stream and what it received, since
 * "timed out" alone sends the reader to a debugger.
 */
export const SseTestingMessages = {
  timedOut: (timeoutMs: number, what: string, state: RecordedState) =>
    `Timed out after ${timeoutMs} ms waiting for ${what}\n${describeState(state)}`,
  endedWhileWaiting: (what: string, state: RecordedState) =>
    `The stream ended before ${what} arrived\n${describeState(state)}`,
  endedWithoutError: (state: RecordedState) =>
    `Expected the stream to fail, but it ended normally\n${describeState(state)}`,
  failedWhileWaitingForEnd: (state: RecordedState) =>
    `Expected the stream to end normally, but it failed\n${describeState(state)}`,
  predicateThrew: (what: string, error: unknown, state: RecordedState) =>
    `The predicate of waitFor(${what}) threw: ${errorText(error)}\n${describeState(state)}`,
  openTimedOut: (timeoutMs: number, url: string) =>
    `No connection to ${url} opened within ${timeoutMs} ms`,
  openFailed: (url: string, error: unknown) =>
    `The stream to ${url} could not be opened: ${errorText(error)}`,
  invalidCount: (count: unknown) => `count must be an integer >= 1 (got ${String(count)})`,
  notAnApp: () =>
    'createSseTestApp() takes a module class, a dynamic module or an INestApplication',
} as const;

/** The matcher in words: the caller's description, or the predicate's own source. */
export function describePredicate(
  predicate: (message: never) => unknown,
  description?: string,
): string {
  if (description !== undefined) return description;
  const source = String(predicate).replace(/\s+/g, ' ');
  return `an event matching ${source.length > 200 ? `${source.slice(0, 197)}...` : source}`;
}

function describeState({ stream, received, dropped, outcome }: RecordedState): string {
  const status =
    outcome === undefined
      ? `state: ${stream.state}`
      : outcome.failed
        ? `failed: ${errorText(outcome.error)}`
        : 'ended normally';
  const lines = [`  stream: ${stream.url} (${status})`];
  const total = received.length + dropped;
  if (total === 0) {
    lines.push('  received no events');
    return lines.join('\n');
  }
  const shown = received.slice(-SHOWN_MESSAGES);
  const first = total - shown.length + 1;
  const note =
    shown.length < total
      ? ` (showing the last ${shown.length}; ${total - shown.length} earlier)`
      : '';
  lines.push(`  received ${total} event${total === 1 ? '' : 's'}${note}:`);
  shown.forEach((message, i) => lines.push(`    #${first + i} ${describeMessage(message)}`));
  return lines.join('\n');
}

function describeMessage({ event, id, data }: SseMessage<unknown>): string {
  let text: string;
  try {
    text = typeof data === 'string' ? JSON.stringify(data) : (JSON.stringify(data) ?? String(data));
  } catch {
    text = String(data);
  }
  if (text.length > SHOWN_DATA_LENGTH) text = `${text.slice(0, SHOWN_DATA_LENGTH - 3)}...`;
  return `${event}${id === undefined ? '' : ` id=${JSON.stringify(id)}`} ${text}`;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
