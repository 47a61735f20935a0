import { Injectable, Logger } from '@nestjs/common';
import { BroadcastService } from 'nestjs-sse-channels';
import { escapeHtml } from './html.js';

export const ACTIVITY_CHANNEL = 'activity';
export type ActivityKind = 'chat' | 'job' | 'login';

/**
 * What happens in the sample, as HTML fragments for the htmx page: each event carries a list
 * item for the feed and, as an out-of-band swap, the "latest" line at the top of the page.
 */
@Injectable()
export class ActivityFeed {
  private readonly logger = new Logger(ActivityFeed.name);

  constructor(private readonly broadcast: BroadcastService) {}

  /** Never fails the caller: the feed is a side show of the action that triggered it. */
  async record(kind: ActivityKind, text: string): Promise<void> {
    const at = new Date().toISOString().slice(11, 19);
    const html =
      `<li class="activity ${kind}"><time>${at}</time> ${escapeHtml(text)}</li>\n` +
      `<p id="activity-latest" hx-swap-oob="true">Latest: ${kind} at ${at}</p>`;
    try {
      await this.broadcast.publish(ACTIVITY_CHANNEL, { event: 'activity', data: html });
    } catch (error) {
      this.logger.warn(`activity not published: ${String(error)}`);
    }
  }
}
