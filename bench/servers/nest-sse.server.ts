import { Controller, Injectable, Module, Sse, type MessageEvent } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Observable, Subject } from 'rxjs';
import { BENCH_CHANNEL, HOST, PAYLOAD } from '../config.js';
import { idSequence, listeningPort, type BenchServer } from './bench-server.js';

/** The one Subject every stream listens to, and how many streams listen. */
@Injectable()
class BenchBus {
  readonly events = new Subject<MessageEvent>();
  subscribers = 0;

  /**
   * One connection's view of the bus. The subscriber is handed to the Subject as it is, so an
   * event takes the same path as with `events.asObservable()`; only the count is added.
   */
  stream(): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      this.subscribers++;
      const subscription = this.events.subscribe(subscriber);
      return () => {
        this.subscribers--;
        subscription.unsubscribe();
      };
    });
  }
}

@Controller()
class NestSseBenchController {
  constructor(private readonly bus: BenchBus) {}

  @Sse(BENCH_CHANNEL)
  bench(): Observable<MessageEvent> {
    return this.bus.stream();
  }
}

@Module({ controllers: [NestSseBenchController], providers: [BenchBus] })
class NestSseBenchModule {}

/** NestJS's built-in `@Sse()` on the (default) Express adapter. */
export async function createNestSseServer(): Promise<BenchServer> {
  const app = await NestFactory.create(NestSseBenchModule, { logger: ['error', 'warn'] });
  await app.listen(0, HOST);
  const bus = app.get(BenchBus);
  const nextId = idSequence();
  return {
    port: listeningPort(app.getHttpServer().address()),
    publish() {
      bus.events.next({ id: nextId(), data: PAYLOAD });
    },
    subscribers: () => bus.subscribers,
  };
}
