import { Injectable, Logger, NotFoundException, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BroadcastService } from 'nestjs-sse-channels';
import { ActivityFeed } from '../activity/activity-feed.service.js';
import type { JobView } from './job.js';
import { PrimeCount } from './prime-count.js';

export const JOBS_CHANNEL = 'jobs';
export const jobChannel = (id: string): string => `jobs/${id}`;

/** A pause between segments, so a person can watch the progress of a job that is quick. */
const PACE_MS = 25;
/** Finished jobs listed by `GET /jobs`; older ones are forgotten. */
const KEEP_JOBS = 50;

/**
 * Runs jobs in this process and reports them: `status` events for every job on channel `jobs`,
 * `progress` events on `jobs/<id>`, and at the end `finish()` on `jobs/<id>`, which ends its
 * streams with a `done` event and answers later reconnects with 204.
 */
@Injectable()
export class JobsService implements OnModuleDestroy {
  private readonly logger = new Logger(JobsService.name);
  private readonly jobs = new Map<string, JobView>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly broadcast: BroadcastService,
    private readonly activity: ActivityFeed,
  ) {}

  list(): JobView[] {
    return [...this.jobs.values()].reverse();
  }

  get(id: string): JobView {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundException(`No job ${id}`);
    return job;
  }

  /** A job of this instance, or one another instance reported (its channel has history). */
  async exists(id: string): Promise<boolean> {
    return (
      this.jobs.has(id) || (await this.broadcast.history(jobChannel(id), { limit: 1 })).length > 0
    );
  }

  async start(limit: number): Promise<JobView> {
    const job: JobView = {
      id: randomUUID(),
      limit,
      status: 'queued',
      percent: 0,
      result: undefined,
      version: 0,
      createdAt: new Date().toISOString(),
    };
    this.jobs.set(job.id, job);
    this.forgetOldJobs();
    await this.report(job);
    void this.run(job.id).catch((error: unknown) =>
      this.logger.error(`job ${job.id} failed: ${String(error)}`),
    );
    return job;
  }

  onModuleDestroy(): void {
    this.stopping.abort();
  }

  private async run(id: string): Promise<void> {
    const count = new PrimeCount(this.get(id).limit);
    await this.update(id, { status: 'running' });
    while (count.next()) {
      const percent = Math.floor((count.segmentsDone / count.segments) * 100);
      await this.broadcast.publish(jobChannel(id), { event: 'progress', data: { id, percent } });
      this.jobs.set(id, { ...this.get(id), percent });
      try {
        await sleep(PACE_MS, undefined, { signal: this.stopping.signal });
      } catch {
        // The app is stopping: its streams are closing, there is no one left to tell.
        this.jobs.set(id, { ...this.get(id), status: 'cancelled' });
        return;
      }
    }
    await this.succeed(id, count.count);
  }

  private async succeed(id: string, result: number): Promise<void> {
    const job = await this.update(id, { status: 'succeeded', result, percent: 100 });
    await this.broadcast.finish(jobChannel(id), { event: 'done', data: job });
    await this.activity.record('job', `job ${id.slice(0, 8)}: ${result} primes below ${job.limit}`);
  }

  private async update(id: string, change: Partial<JobView>): Promise<JobView> {
    const current = this.get(id);
    const job = { ...current, ...change, version: current.version + 1 };
    this.jobs.set(id, job);
    await this.report(job);
    return job;
  }

  private async report(job: JobView): Promise<void> {
    await this.broadcast.publish(JOBS_CHANNEL, { event: 'status', data: job });
  }

  private forgetOldJobs(): void {
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= KEEP_JOBS) return;
      if (job.status !== 'queued' && job.status !== 'running') this.jobs.delete(id);
    }
  }
}
