import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  BroadcastService,
  SseChannel,
  type PublishResult,
  type SseHistoryEntry,
} from 'nestjs-sse-channels';
import { ActivityFeed } from '../activity/activity-feed.service.js';
import { ChatMessageDto } from './chat-message.dto.js';
import { ChatEvents } from './chat.events.js';
import { RoomNamePipe } from './room-name.pipe.js';

@Controller('rooms')
export class ChatController {
  constructor(
    private readonly broadcast: BroadcastService,
    private readonly activity: ActivityFeed,
  ) {}

  /**
   * GET /rooms/:room/events joins channel `rooms/<room>`. A new page gets the last 50 messages;
   * a reconnecting one (same page, `Last-Event-ID`) gets exactly what it missed.
   */
  @SseChannel(':room/events', { channel: 'rooms/:room', replayOnConnect: 50, events: ChatEvents })
  events(@Param('room', RoomNamePipe) _room: string): void {}

  /**
   * The room's last 50 messages, as published: what a page reloads when its stream says it
   * could not resume (`sse:reset`: more was missed than history holds).
   */
  @Get(':room/messages')
  messages(
    @Param('room', RoomNamePipe) room: string,
  ): Promise<SseHistoryEntry<Pick<ChatMessageDto, 'author' | 'text'>>[]> {
    return this.broadcast.history(`rooms/${room}`, { limit: 50 });
  }

  @Post(':room/messages')
  @HttpCode(202)
  async post(
    @Param('room', RoomNamePipe) room: string,
    @Body() message: ChatMessageDto,
  ): Promise<PublishResult> {
    const result = await this.broadcast.typed(ChatEvents).publish(`rooms/${room}`, {
      event: 'message',
      data: { author: message.author, text: message.text },
    });
    await this.activity.record('chat', `${message.author} in #${room}: ${message.text}`);
    return result;
  }
}
