import { Global, Module } from '@nestjs/common';
import { ActivityController } from './activity.controller.js';
import { ActivityFeed } from './activity-feed.service.js';

/** Global: chat, jobs and sign-in all report to the feed. */
@Global()
@Module({ controllers: [ActivityController], providers: [ActivityFeed], exports: [ActivityFeed] })
export class ActivityModule {}
