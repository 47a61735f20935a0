import { Controller, Get, Header } from '@nestjs/common';
import { readFileSync } from 'node:fs';

// Read once at startup; the page is static.
const CHAT_PAGE = readFileSync(new URL('../../public/chat.html', import.meta.url), 'utf8');

@Controller()
export class PagesController {
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  chat(): string {
    return CHAT_PAGE;
  }
}
