import { IsIn, IsInt, Max, Min, ValidateBy, type ValidationArguments } from 'class-validator';
import type { SSE_LIMITS } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';

type Range = (typeof SSE_LIMITS)[keyof typeof SSE_LIMITS];

/** An integer option within `range`, with one message naming the option and the range. */
export function IntegerIn(range: Range): PropertyDecorator {
  const message = (args: ValidationArguments) =>
    SseMessages.optionOutOfRange(
      args.property,
      `an integer from ${range.min} to ${range.max}`,
      args.value,
    );
  return (target, key) => {
    IsInt({ message })(target, key);
    Min(range.min, { message })(target, key);
    Max(range.max, { message })(target, key);
  };
}

/** One of a fixed set of strings. */
export function OneOf(values: readonly string[]): PropertyDecorator {
  return IsIn([...values], {
    message: (args: ValidationArguments) =>
      SseMessages.optionOutOfRange(
        args.property,
        `one of ${values.map((v) => `'${v}'`).join(', ')}`,
        args.value,
      ),
  });
}

/** A function (a resolver or a class). */
export function IsFunctionOption(what: string): PropertyDecorator {
  return ValidateBy({
    name: 'isFunction',
    validator: {
      validate: (value: unknown) => typeof value === 'function',
      defaultMessage: (args?: ValidationArguments) =>
        SseMessages.optionOutOfRange(args?.property ?? 'option', what, args?.value),
    },
  });
}

const BACKEND_METHODS = ['attach', 'publish', 'replay', 'history', 'close'] as const;

/** An object implementing `SseBackend` (checked by its methods). */
export function IsBackendOption(): PropertyDecorator {
  return ValidateBy({
    name: 'isBackend',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        BACKEND_METHODS.every(
          (method) => typeof (value as Record<string, unknown>)[method] === 'function',
        ),
      defaultMessage: (args?: ValidationArguments) =>
        SseMessages.optionOutOfRange(
          'backend',
          'an SseBackend, e.g. new RedisBackend({ url })',
          args?.value,
        ),
    },
  });
}
