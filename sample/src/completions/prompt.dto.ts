import { IsString, Length } from 'class-validator';

export class PromptDto {
  @IsString()
  @Length(1, 2000)
  prompt!: string;
}
