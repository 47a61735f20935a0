import { IsString, Length, Matches } from 'class-validator';

export class PrivateNoteDto {
  @Matches(/^[A-Za-z0-9_-]{1,32}$/, { message: 'to must be a user name' })
  to!: string;

  @IsString()
  @Length(1, 500)
  text!: string;
}
