import { IsString, Length } from 'class-validator';

/**
 * A chat message: the POST body, and the payload rule of every `rooms/:room` channel (declared
 * in the module options), so nothing else can be published to a room by mistake.
 */
export class ChatMessageDto {
  @IsString()
  @Length(1, 40)
  author!: string;

  @IsString()
  @Length(1, 500)
  text!: string;
}
