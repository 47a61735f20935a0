import { HTTP_ERROR_BODY_LIMIT } from './client.constants.js';
import { SseClientMessages } from './client.messages.js';
import { SseHttpError } from './errors/sse-http.error.js';

/** True for `text/event-stream`, whatever the case and parameters (`; charset=utf-8`). */
export function isEventStream(contentType: string | null): boolean {
  if (contentType === null) return false;
  const semicolon = contentType.indexOf(';');
  const mediaType = semicolon === -1 ? contentType : contentType.slice(0, semicolon);
  return mediaType.trim().toLowerCase() === 'text/event-stream';
}

/**
 * The body of a response that is not a stream, as an {@link SseHttpError}. Only the first
 * `HTTP_ERROR_BODY_LIMIT` characters are read; the rest is cancelled, so a huge or endless
 * error page costs nothing.
 */
export async function httpError(
  method: string,
  url: string,
  response: Response,
): Promise<SseHttpError> {
  const contentType = response.headers.get('content-type') ?? undefined;
  const body = await readExcerpt(response.body, HTTP_ERROR_BODY_LIMIT);
  const message =
    response.status === 200
      ? SseClientMessages.wrongContentType(method, url, contentType, body)
      : SseClientMessages.httpStatus(method, url, response.status, response.statusText, body);
  return new SseHttpError(message, url, response.status, response.statusText, contentType, body);
}

async function readExcerpt(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();
  } catch {
    // The excerpt is a courtesy: a connection lost while reading it must not hide the status.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return text.length > limit ? text.slice(0, limit) : text;
}
