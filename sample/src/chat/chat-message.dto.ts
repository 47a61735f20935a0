import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

/**
 * A chat message: the POST body, and the payload of a room's `message` event (`ChatEvents`,
 * declared for every `rooms/:room` channel in the module options), so nothing else can be
 * published to a room by mistake.
 */
export class ChatMessageDto {
  @ApiProperty({ minLength: 1, maxLength: 40 })
  @IsString()
  @Length(1, 40)
  author!: string;

  @ApiProperty({ minLength: 1, maxLength: 500 })
  @IsString()
  @Length(1, 500)
  text!: string;
}
