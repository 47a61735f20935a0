/**
 * What TypeScript refuses, compiled with the consumers in `app.ts`: each `@ts-expect-error`
 * must meet an error, or the compilation fails.
 */
import { Controller } from '@nestjs/common';
import { BroadcastService, SseChannel } from 'nestjs-sse-channels';
import { of, type Observable } from 'rxjs';

export async function refused(broadcast: BroadcastService): Promise<void> {
  // @ts-expect-error A value is no event: publish() takes { data }.
  await broadcast.publish('rooms/1', 'hello');
  // @ts-expect-error A channel event's id is its position: publish() assigns it.
  await broadcast.publish('rooms/1', { id: 'row-7', data: { text: 'hi' } });
  // @ts-expect-error An object with other keys is a payload: wrap it.
  await broadcast.publish('rooms/1', { text: 'hi' });
  // @ts-expect-error Nor does finish() take an id.
  await broadcast.finish('jobs/1', { id: 'done', data: 1 });
  // @ts-expect-error sendTo() takes an event too.
  await broadcast.sendTo('a-1', 42);
}

@Controller()
export class RefusedController {
  // @ts-expect-error A stream of values that are not events.
  @SseChannel('numbers')
  numbers(): Observable<number> {
    return of(1, 2);
  }

  // @ts-expect-error A value that is no stream at all.
  @SseChannel('text')
  text(): string {
    return 'not a stream';
  }
}
