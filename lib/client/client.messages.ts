/**
 * Every error text of the client entry point, in one place. The client cannot share the
 * server's `sse.messages.ts`: it must load in browsers without anything from the server side.
 */
const show = (value: unknown): string => {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

/**
 * The URL without its query string or fragment: tokens often travel there (EventSource cannot
 * set headers), and error messages end up in logs. The errors keep the full URL in `url`.
 */
export const safeUrl = (url: string): string => {
  const end = url.search(/[?#]/);
  return end === -1 ? url : `${url.slice(0, end)}?...`;
};

export const SseClientMessages = {
  optionOutOfRange: (option: string, range: string, value: unknown) =>
    `SSE client option "${option}" must be ${range} (got ${show(value)})`,
  optionWrongType: (option: string, expected: string, value: unknown) =>
    `SSE client option "${option}" must be ${expected} (got ${show(value)})`,
  bodyNeedsMethod: (method: string) =>
    `SSE client: a request body cannot be sent with ${method}; use POST (the default when a body is given) or another method`,
  noFetch: () => 'SSE client: this runtime has no global fetch; pass one as the "fetch" option',
  invalidUrl: (url: string) => `SSE client: ${show(url)} is not a valid URL`,
  eventsOption: (value: unknown) =>
    `SSE client option "events" must be an object of event name -> 'json' or 'text' (got ${show(value)})`,
  eventDecoding: (event: string, value: unknown) =>
    `SSE client option "events": event ${show(event)} must be decoded as 'json' or 'text' (got ${show(value)})`,

  httpStatus: (method: string, url: string, status: number, statusText: string, body: string) =>
    `SSE ${method} ${safeUrl(url)} answered HTTP ${status}${statusText ? ` ${statusText}` : ''} instead of 200${body ? `: ${show(body)}` : ''}`,
  wrongContentType: (method: string, url: string, contentType: string | undefined, body: string) =>
    `SSE ${method} ${safeUrl(url)} answered 200 with content-type ${contentType === undefined ? '(none)' : show(contentType)} instead of text/event-stream${body ? `: ${show(body)}` : ''}`,
  noBody: (method: string, url: string) =>
    `SSE ${method} ${safeUrl(url)} answered 200 without a response body`,

  gaveUp: (method: string, url: string, attempts: number, cause: unknown) =>
    `SSE ${method} ${safeUrl(url)}: gave up after ${attempts} failed connection attempt${attempts === 1 ? '' : 's'} in a row (last: ${cause instanceof Error ? cause.message : show(cause)})`,
  silent: (timeoutMs: number) =>
    `nothing arrived for ${timeoutMs} ms (not even a heartbeat comment), so the connection was treated as dead`,
  closedBeforeOpen: (method: string, url: string) =>
    `SSE ${method} ${safeUrl(url)} was closed before a connection opened`,

  eventTooLarge: (method: string, url: string, maxEventSize: number) =>
    `SSE ${method} ${safeUrl(url)}: an event exceeded maxEventSize (${maxEventSize} characters of unfinished lines and data)`,
  invalidJson: (url: string, event: string, id: string | undefined, data: string, reason: string) =>
    `SSE event "${event}"${id === undefined ? '' : ` (id ${show(id)})`} from ${safeUrl(url)} is not JSON: ${reason}; data: ${show(data)}`,

  streamFailed: (method: string, url: string, status: number, message: string) =>
    `SSE ${method} ${safeUrl(url)}: the server's stream failed (${status}: ${show(message)})`,

  alreadyConsumed: () =>
    'This SSE stream already has a consumer: iterate it or subscribe to it once (open another stream with connect() for a second consumer)',
} as const;
