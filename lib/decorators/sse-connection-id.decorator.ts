import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { peekAdmission } from '../channel/sse-admission.js';
import { SseMessages } from '../sse.messages.js';

/**
 * Injects the id of the connection being opened, as `ConnectionRegistry` and
 * `BroadcastService.sendTo()` know it. Send it to the client (e.g. in a first event) so its
 * later requests can name their stream, for `exclude` or targeted replies.
 *
 * @example
 * \@SseChannel('rooms/:room')
 * join(@SseConnectionId() id: string) {
 *   return of({ event: 'welcome', data: { connectionId: id } });
 * }
 */
export const SseConnectionId = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => {
    const admission = peekAdmission(context.switchToHttp().getResponse());
    if (!admission) {
      throw new Error(
        SseMessages.paramOutsideSseChannel(
          '@SseConnectionId()',
          context.getClass().name,
          context.getHandler().name,
        ),
      );
    }
    return admission.connection.id;
  },
);
