import {
  IsIn,
  IsInt,
  Max,
  Min,
  ValidateBy,
  type ValidationArguments,
  type ValidationError,
} from 'class-validator';
import { SseMessages } from '../sse.messages.js';

interface Range {
  readonly min: number;
  readonly max: number;
}

/** An integer option within `range`, with one message naming the option and the range. */
export function IntegerIn(range: Range): PropertyDecorator {
  const message = (args: ValidationArguments) =>
    SseMessages.optionOutOfRange(
      args.property,
      SseMessages.integerRange(range.min, range.max),
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
      SseMessages.optionOutOfRange(args.property, SseMessages.oneOf(values), args.value),
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

/** `true` or `false`. */
export function IsBooleanOption(): PropertyDecorator {
  return ValidateBy({
    name: 'isBooleanOption',
    validator: {
      validate: (value: unknown) => typeof value === 'boolean',
      defaultMessage: (args?: ValidationArguments) =>
        SseMessages.optionOutOfRange(
          args?.property ?? 'option',
          SseMessages.aBoolean(),
          args?.value,
        ),
    },
  });
}

/** An object with `getMeter()`: an OpenTelemetry `MeterProvider`, checked by its shape. */
export function IsMeterProviderOption(): PropertyDecorator {
  return ValidateBy({
    name: 'isMeterProvider',
    validator: {
      validate: (value: unknown) => hasMethods(value, ['getMeter']),
      defaultMessage: (args?: ValidationArguments) =>
        SseMessages.optionOutOfRange(
          args?.property ?? 'meterProvider',
          SseMessages.notAMeterProvider(),
          args?.value,
        ),
    },
  });
}

const BACKEND_METHODS = ['attach', 'publish', 'replay', 'history', 'close'] as const;

/** An object implementing `SseBackend` (checked by its methods). */
export function IsBackendOption(): PropertyDecorator {
  return ValidateBy({
    name: 'isBackend',
    validator: {
      validate: (value: unknown) => hasMethods(value, BACKEND_METHODS),
      defaultMessage: (args?: ValidationArguments) =>
        SseMessages.optionOutOfRange('backend', SseMessages.notABackend(), args?.value),
    },
  });
}

/**
 * One message per invalid option, prefixed with its path (`history.size`, `channels[0].pattern`):
 * class-validator reports every failed constraint, the first names the problem well enough.
 * `owner` names the options' owner in the message for unknown keys.
 */
export function validationMessages(
  errors: readonly ValidationError[],
  owner: string,
  prefix = '',
): string[] {
  return errors.flatMap((error) => {
    const constraints = Object.values(error.constraints ?? {});
    const first = constraints.find((m) => m.startsWith(error.property)) ?? constraints[0];
    const path = prefix + error.property;
    const own = first === undefined ? [] : [messageFor(error.property, path, first, owner)];
    const childPrefix = /^\d+$/.test(error.property)
      ? `${prefix.slice(0, -1)}[${error.property}].`
      : `${path}.`;
    return [...own, ...validationMessages(error.children ?? [], owner, childPrefix)];
  });
}

function messageFor(property: string, path: string, message: string, owner: string): string {
  if (message === `property ${property} should not exist`)
    return SseMessages.unknownOption(path, owner);
  return message.startsWith(property) ? path + message.slice(property.length) : message;
}

/** Whether `value` is an object with a function under each of `methods`: checked by shape. */
function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
  );
}
