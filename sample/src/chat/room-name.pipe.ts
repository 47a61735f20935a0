import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

const ROOM_NAME = /^[a-z0-9-]{1,32}$/;

/** Room names are channel path segments: short, lowercase, no slashes. */
@Injectable()
export class RoomNamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ROOM_NAME.test(value))
      throw new BadRequestException('room must be 1 to 32 lowercase letters, digits or "-"');
    return value;
  }
}
