import {
  Body,
  Controller,
  Get,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import { SseChannel } from 'nestjs-sse-channels';
import type { JobView } from './job.js';
import { JOBS_CHANNEL, JobsService } from './jobs.service.js';
import { StartJobDto } from './start-job.dto.js';

@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  start(@Body() { limit }: StartJobDto): Promise<JobView> {
    return this.jobs.start(limit);
  }

  @Get()
  list(): JobView[] {
    return this.jobs.list();
  }

  /** GET /jobs/events: a `status` event whenever any job changes. */
  @SseChannel('events', { channel: JOBS_CHANNEL })
  statuses(): void {}

  /**
   * GET /jobs/:id/events: the job's `progress` events (the latest one at once), then `done`
   * and the end of the stream. Once the job is over, the library answers 204 and the browser's
   * EventSource stops reconnecting.
   */
  @SseChannel(':id/events', { channel: 'jobs/:id', replayOnConnect: 1 })
  async progress(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    if (!(await this.jobs.exists(id))) throw new NotFoundException(`No job ${id}`);
  }
}
