import type { INestApplication } from '@nestjs/common';
import {
  IsString,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { BroadcastService } from '../../lib/index.js';
import { SseLifecycle } from '../../lib/lifecycle/sse-lifecycle.service.js';
import { waitUntil } from './wait.js';

/**
 * A payload DTO whose validation (asynchronous, as class-validator runs it) waits until the test
 * opens the gate: a publish to its channel is under way for as long as the test wants, and so is
 * a shutdown, which waits for it.
 */
export function gatedPayload() {
  let open = (): void => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let validating = 0;
  @ValidatorConstraint({ name: 'afterGate', async: true })
  class AfterGate implements ValidatorConstraintInterface {
    async validate(): Promise<boolean> {
      validating++;
      await gate;
      return true;
    }
  }
  class Payload {
    @IsString()
    @Validate(AfterGate)
    text!: string;
  }
  return {
    Payload,
    open: () => open(),
    /** Validations started so far. */
    get validating() {
      return validating;
    },
  };
}

/**
 * Starts a publish of `text` to `channel` (whose payload is `payload`'s) that stays under way,
 * validating, until `payload.open()`; then starts `app.close()` and waits until shutdown has
 * begun.
 */
export async function closeDuringPublish(
  app: INestApplication,
  payload: ReturnType<typeof gatedPayload>,
  channel: string,
  text: string,
): Promise<{ publishing: Promise<unknown>; closing: Promise<void> }> {
  const publishing = app.get(BroadcastService).publish(channel, { data: { text } });
  await waitUntil(
    () => payload.validating === 1,
    () => 'the publish never started validating',
  );
  const closing = app.close();
  await waitUntil(
    () => app.get(SseLifecycle).isStopping,
    () => 'shutdown never began',
  );
  return { publishing, closing };
}
