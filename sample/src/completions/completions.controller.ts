import { Body, Controller, Logger, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { SseAbortSignal, SseChannel, type SseEvent } from 'nestjs-sse-channels';
import { CompletionStore } from './completion-store.js';
import { ECHO_MODEL, echoTokens } from './echo-model.js';
import { PromptDto } from './prompt.dto.js';

@Controller('completions')
export class CompletionsController {
  private readonly logger = new Logger(CompletionsController.name);

  constructor(private readonly store: CompletionStore) {}

  /** POST a prompt; the answer streams from the URL this returns. */
  @Post()
  create(@Body() { prompt }: PromptDto): { id: string; events: string } {
    const id = this.store.create(prompt);
    return { id, events: `/completions/${id}/events` };
  }

  /**
   * GET /completions/:id/events: `start`, one `token` per piece, `done`, then the response
   * ends. No channel: the stream is this connection's alone. A reconnect after the end gets
   * 204, so the browser stops.
   */
  @SseChannel(':id/events', { channel: [] })
  events(
    @Param('id', ParseUUIDPipe) id: string,
    @SseAbortSignal() signal: AbortSignal,
  ): AsyncIterable<SseEvent> {
    return this.answer(id, this.store.claim(id), signal);
  }

  private async *answer(id: string, prompt: string, signal: AbortSignal): AsyncGenerator<SseEvent> {
    const started = Date.now();
    yield { event: 'start', data: { id, model: ECHO_MODEL } };
    let tokens = 0;
    try {
      for await (const token of echoTokens(prompt, signal)) {
        tokens++;
        yield { event: 'token', data: token };
      }
    } catch (error) {
      if (!signal.aborted) throw error;
      // The reader left: the generator stopped producing instead of running on for nobody.
      this.logger.log(`completion ${id} stopped after ${tokens} tokens: the client left`);
      return;
    }
    yield { event: 'done', data: { tokens, ms: Date.now() - started } };
  }
}
