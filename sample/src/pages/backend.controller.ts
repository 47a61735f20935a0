import { Controller, Get, Inject } from '@nestjs/common';
import { SAMPLE_CONFIG, type SampleConfig } from '../sample-config.js';

/** What the landing page says about where channels live. */
export interface BackendInfo {
  /** `redis` when SSE_REDIS_URL is set: channels, history and counts are shared by instances. */
  readonly backend: 'in-memory' | 'redis';
}

@Controller('backend')
export class BackendController {
  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  /** GET /backend. The Redis URL itself stays out: it may carry a password. */
  @Get()
  backend(): BackendInfo {
    return { backend: this.config.redisUrl ? 'redis' : 'in-memory' };
  }
}
