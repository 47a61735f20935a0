import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Module } from '@nestjs/common';
import { BroadcastService, SseChannel, SseModule } from '../lib/index.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { opened, openRawStream, type RawStream } from './support/sse-clients.js';

/** A stream method declared once: each controller that inherits it serves it on its own path. */
abstract class SectionStreams {
  /** No path and no channel: the channel is the controller's path. */
  @SseChannel()
  events(): void {}
}

@Controller('news')
class NewsController extends SectionStreams {}

@Controller('sports')
class SportsController extends SectionStreams {}

@Module({ imports: [SseModule.forRoot()], controllers: [NewsController, SportsController] })
class SectionsModule {}

describe.each(ADAPTERS)('an @SseChannel() method inherited by two controllers on %s', (adapter) => {
  let running: RunningApp | undefined;
  const streams: RawStream[] = [];

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await running?.close();
    running = undefined;
  });

  const open = async (path: string): Promise<RawStream> => {
    const stream = await openRawStream(`${running?.url}${path}`);
    streams.push(stream);
    await opened(stream);
    return stream;
  };

  it("joins each controller's own channel", async () => {
    running = await startApp(SectionsModule, adapter);
    const news = await open('/news');
    const sports = await open('/sports');
    const broadcast = running.app.get(BroadcastService);
    await broadcast.publish('news', { data: 'headline' });
    await broadcast.publish('sports', { data: 'score' });
    await news.waitFor((events) => events.length === 1);
    await sports.waitFor((events) => events.length === 1);
    expect(news.events.map((e) => e.data)).toEqual(['headline']);
    expect(sports.events.map((e) => e.data)).toEqual(['score']);
  });
});
