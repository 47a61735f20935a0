import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ObservabilityModule } from '../observability/observability.module.js';
import { DashboardController } from './dashboard.controller.js';
import { DashboardService } from './dashboard.service.js';

@Module({
  imports: [AuthModule, ObservabilityModule],
  controllers: [DashboardController],
  providers: [DashboardService],
})
export class DashboardModule {}
