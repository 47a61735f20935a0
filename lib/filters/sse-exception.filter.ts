import { Catch, HttpException, HttpStatus, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { SseUnknownEventIdError } from '../errors/sse-unknown-event-id.error.js';
import { SseError } from '../errors/sse.error.js';

/**
 * Answers the library's errors with the HTTP status that fits them, the message saying why,
 * and the error's `code`: for controllers that hand user input to `BroadcastService` (a chat
 * message, a channel name from the URL), so a bad request gets a 400 that says what is wrong
 * instead of a 500. Other errors are left to Nest's usual handling.
 *
 * | error                                                            | status |
 * | ---------------------------------------------------------------- | ------ |
 * | `SseEventError`, `SseChannelNameError`, `SsePayloadValidationError` | 400    |
 * | `SseUnknownEventIdError` (`unknown-id` / `evicted`)              | 404 / 410 |
 * | `SseChannelFinishedError`                                        | 409    |
 * | `SseBackendUnavailableError`, `SseShutdownError`                 | 503    |
 *
 * @example
 * // For the whole application:
 * providers: [{ provide: APP_FILTER, useClass: SseExceptionFilter }]
 * // Or for one controller:
 * \@UseFilters(SseExceptionFilter)
 */
@Catch(SseError)
export class SseExceptionFilter extends BaseExceptionFilter {
  override catch(error: SseError, host: ArgumentsHost): void {
    const status = statusOf(error);
    super.catch(
      new HttpException(
        {
          statusCode: status,
          error: reasonPhrase(status),
          message: error.message,
          code: error.code,
        },
        status,
        { cause: error },
      ),
      host,
    );
  }
}

/** What the application can fix is a 4xx; what it cannot (no backend, shutting down), a 503. */
const STATUS_BY_CODE: Readonly<Record<string, HttpStatus>> = {
  SSE_INVALID_EVENT: HttpStatus.BAD_REQUEST,
  SSE_INVALID_CHANNEL: HttpStatus.BAD_REQUEST,
  SSE_INVALID_PAYLOAD: HttpStatus.BAD_REQUEST,
  SSE_CHANNEL_FINISHED: HttpStatus.CONFLICT,
  SSE_BACKEND_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  SSE_SHUTTING_DOWN: HttpStatus.SERVICE_UNAVAILABLE,
};

const REASON_PHRASES: Readonly<Partial<Record<number, string>>> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.NOT_FOUND]: 'Not Found',
  [HttpStatus.CONFLICT]: 'Conflict',
  [HttpStatus.GONE]: 'Gone',
  [HttpStatus.INTERNAL_SERVER_ERROR]: 'Internal Server Error',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'Service Unavailable',
};

function statusOf(error: SseError): number {
  if (error instanceof SseUnknownEventIdError)
    return error.reason === 'evicted' ? HttpStatus.GONE : HttpStatus.NOT_FOUND;
  return STATUS_BY_CODE[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
}

function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? 'Error';
}
