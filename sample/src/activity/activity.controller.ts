import { Controller } from '@nestjs/common';
import { SseChannel } from 'nestjs-sse-channels';
import { ACTIVITY_CHANNEL } from './activity-feed.service.js';

@Controller('activity')
export class ActivityController {
  /** GET /activity/events: HTML fragments for htmx's SSE extension; the last 20 on connect. */
  @SseChannel('events', { channel: ACTIVITY_CHANNEL, replayOnConnect: 20 })
  events(): void {}
}
