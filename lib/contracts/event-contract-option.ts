import { ValidateBy, type ValidationArguments } from 'class-validator';
import { SseMessages } from '../sse.messages.js';
import { isEventContract } from './define-sse-events.js';

/** A `defineSseEvents()` contract, as the `channels[].events` option takes it. */
export function IsEventContractOption(): PropertyDecorator {
  return ValidateBy({
    name: 'isEventContract',
    validator: {
      validate: (value: unknown) => isEventContract(value),
      defaultMessage: (args?: ValidationArguments) =>
        SseMessages.optionOutOfRange(
          args?.property ?? 'events',
          SseMessages.notAContract(),
          args?.value,
        ),
    },
  });
}
