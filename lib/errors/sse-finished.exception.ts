import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * Thrown by an `@SseChannel()` handler to say the stream is over for good (a finished job, a
 * closed auction): the request is answered `204 No Content`, which makes browsers' EventSource
 * stop reconnecting.
 *
 * @example
 * \@SseChannel('jobs/:id')
 * progress(@Param('id') id: string) {
 *   if (this.jobs.isDone(id)) throw new SseFinishedException();
 *   return this.jobs.progress$(id);
 * }
 */
export class SseFinishedException extends HttpException {
  constructor() {
    super('', HttpStatus.NO_CONTENT);
  }
}
