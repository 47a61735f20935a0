import { SseError } from './sse.error.js';
import { SseMessages } from '../sse.messages.js';

/**
 * The backend could not be reached (e.g. Redis is down): the operation was not carried out.
 * Local streams stay open with their heartbeats; retry the operation later.
 */
export class SseBackendUnavailableError extends SseError {
  override readonly name = 'SseBackendUnavailableError';
  readonly code = 'SSE_BACKEND_UNAVAILABLE';

  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    super(SseMessages.backendUnavailable(operation, describe(cause)), { cause });
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
