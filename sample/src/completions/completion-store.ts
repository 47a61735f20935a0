import { Injectable, NotFoundException, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SseFinishedException } from 'nestjs-sse-channels';

/** A prompt not streamed within this time is forgotten. */
const UNCLAIMED_TTL_MS = 60_000;
/** Streamed completions are remembered this long, so reconnects get 204 rather than 404. */
const CLAIMED_TTL_MS = 10 * 60_000;

/**
 * Prompts between `POST /completions` and the stream that answers them. EventSource can only
 * GET, so the prompt is posted first and the stream is opened by id; each is streamed once.
 */
@Injectable()
export class CompletionStore implements OnModuleDestroy {
  private readonly prompts = new Map<
    string,
    { prompt: string | undefined; timer: NodeJS.Timeout }
  >();

  create(prompt: string): string {
    const id = randomUUID();
    this.remember(id, prompt, UNCLAIMED_TTL_MS);
    return id;
  }

  /** The prompt, once: later calls throw `SseFinishedException` (answered 204). */
  claim(id: string): string {
    const entry = this.prompts.get(id);
    if (!entry) throw new NotFoundException(`No completion ${id}`);
    if (entry.prompt === undefined) throw new SseFinishedException();
    clearTimeout(entry.timer);
    this.remember(id, undefined, CLAIMED_TTL_MS);
    return entry.prompt;
  }

  onModuleDestroy(): void {
    for (const { timer } of this.prompts.values()) clearTimeout(timer);
    this.prompts.clear();
  }

  private remember(id: string, prompt: string | undefined, ttlMs: number): void {
    const timer = setTimeout(() => this.prompts.delete(id), ttlMs);
    timer.unref();
    this.prompts.set(id, { prompt, timer });
  }
}
