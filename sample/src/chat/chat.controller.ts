import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { BroadcastService, SseChannel } from 'nestjs-sse-channels';

interface ChatMessage {
  author: string;
  text: string;
}

@Controller('rooms')
export class ChatController {
  constructor(private readonly broadcast: BroadcastService) {}

  /** GET /rooms/:room/events: joins channel 'rooms/<room>'. */
  @SseChannel(':room/events', { channel: 'rooms/:room' })
  events(): void {}

  @Post(':room/messages')
  @HttpCode(202)
  async post(@Param('room') room: string, @Body() message: ChatMessage): Promise<{ id: string }> {
    const text = String(message.text ?? '').slice(0, 500);
    const author = String(message.author ?? 'anonymous').slice(0, 40);
    const { id } = await this.broadcast.publish(`rooms/${room}`, {
      event: 'message',
      data: { author, text },
    });
    return { id };
  }
}
