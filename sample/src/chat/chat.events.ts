import { defineSseEvents } from 'nestjs-sse-channels';
import { ChatMessageDto } from './chat-message.dto.js';

/**
 * What a room's channel carries, declared once: the module validates every publish to
 * `rooms/:room` against it, `broadcast.typed(ChatEvents)` refuses anything else at compile
 * time, and the OpenAPI document at /api lists it for the room's stream.
 */
export const ChatEvents = defineSseEvents({ message: ChatMessageDto });
