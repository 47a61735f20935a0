import { Module } from '@nestjs/common';
import { AuthController } from './auth.controller.js';
import { PrivateController } from './private.controller.js';
import { SessionGuard } from './session.guard.js';

@Module({
  controllers: [AuthController, PrivateController],
  providers: [SessionGuard],
  exports: [SessionGuard],
})
export class AuthModule {}
