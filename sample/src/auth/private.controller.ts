import { Body, Controller, Post, Req, UseGuards } from '@nestjs/common';
import { BroadcastService, SseChannel, type PublishResult } from 'nestjs-sse-channels';
import { PrivateNoteDto } from './private-note.dto.js';
import { SessionGuard } from './session.guard.js';
import type { SessionUser } from './session-token.js';

interface SignedInRequest {
  user: SessionUser;
}

/** Each signed-in user's inbox: channel `users/<name>`, readable only by that user. */
@Controller('private')
@UseGuards(SessionGuard)
export class PrivateController {
  constructor(private readonly broadcast: BroadcastService) {}

  /** GET /private/events: the guard runs first, so the channel name can trust `req.user`. */
  @SseChannel('events', {
    channel: (req: SignedInRequest) => `users/${req.user.id}`,
    // Notes sent while the user was away are in history: the inbox shows the last 20.
    replayOnConnect: 20,
  })
  events(): void {}

  @Post('notes')
  async send(
    @Req() req: SignedInRequest,
    @Body() { to, text }: PrivateNoteDto,
  ): Promise<PublishResult> {
    return this.broadcast.publish(`users/${to}`, {
      event: 'note',
      data: { from: req.user.id, text, at: new Date().toISOString() },
    });
  }
}
