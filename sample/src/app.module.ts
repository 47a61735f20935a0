import { Module } from '@nestjs/common';
import { SseModule } from 'nestjs-sse-channels';
import { ChatModule } from './chat/chat.module.js';
import { PagesController } from './pages/pages.controller.js';

@Module({
  imports: [SseModule.forRoot({ heartbeatIntervalMs: 15_000 }), ChatModule],
  controllers: [PagesController],
})
export class AppModule {}
