import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { peekAdmission } from '../channel/sse-admission.js';
import { SseMessages } from '../sse.messages.js';

/**
 * Injects an `AbortSignal` that aborts when the stream is over: the client disconnected (even
 * while the handler is still preparing), or the stream completed, failed or was closed by the
 * server. Pass it to `fetch()` or check it in loops, so upstream work (an LLM request, a query)
 * stops with the client. Only for `@SseChannel()` methods.
 *
 * @example
 * \@SseChannel('completions/:id', { channel: [] })
 * async *tokens(@Param('id') id: string, @SseAbortSignal() signal: AbortSignal) {
 *   for await (const token of llm.stream(id, { signal })) yield { event: 'token', data: token };
 * }
 */
export const SseAbortSignal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AbortSignal => {
    const admission = peekAdmission(context.switchToHttp().getResponse());
    if (!admission) {
      throw new Error(
        SseMessages.paramOutsideSseChannel(
          '@SseAbortSignal()',
          context.getClass().name,
          context.getHandler().name,
        ),
      );
    }
    return admission.signal;
  },
);
