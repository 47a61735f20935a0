import { Matches } from 'class-validator';

export class LoginDto {
  @Matches(/^[A-Za-z0-9_-]{1,32}$/, {
    message: 'name must be 1 to 32 letters, digits, "_" or "-"',
  })
  name!: string;
}
