import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { peekAdmission, type SseAdmission } from '../channel/sse-admission.js';
import { SseMessages } from '../sse.messages.js';

/**
 * A parameter decorator reading something from the request's admission; only meaningful on
 * `@SseChannel()` methods, and says so when used elsewhere.
 */
export function admissionParam<T>(
  decorator: string,
  pick: (admission: SseAdmission) => T,
): () => ParameterDecorator {
  return createParamDecorator((_data: unknown, context: ExecutionContext): T => {
    const admission = peekAdmission(context.switchToHttp().getResponse());
    if (!admission) {
      throw new Error(
        SseMessages.paramOutsideSseChannel(
          decorator,
          context.getClass().name,
          context.getHandler().name,
        ),
      );
    }
    return pick(admission);
  });
}
