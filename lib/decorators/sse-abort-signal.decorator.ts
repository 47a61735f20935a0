import { handlerParam } from '../channel/sse-handler-params.js';

/**
 * Injects an `AbortSignal` that aborts when the stream is over: the client disconnected (even
 * while the handler is still preparing), or the stream completed, failed or was closed by the
 * server. Pass it to `fetch()` or check it in loops, so upstream work (an LLM request, a query)
 * stops with the client. Only for `@SseChannel()` methods (checked at boot).
 *
 * @example
 * \@SseChannel('completions/:id', { channel: [] })
 * async *tokens(@Param('id') id: string, @SseAbortSignal() signal: AbortSignal) {
 *   for await (const token of llm.stream(id, { signal })) yield { event: 'token', data: token };
 * }
 */
export const SseAbortSignal = (): ParameterDecorator => handlerParam('abortSignal');
