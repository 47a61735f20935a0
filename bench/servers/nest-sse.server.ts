import { Controller, Headers, Injectable, Module, Sse, type MessageEvent } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { BENCH_CHANNEL, PAYLOAD } from '../config.js';
import type { ServerSpec } from '../shared/protocol.js';
import {
  EventHistory,
  idSequence,
  listeningPort,
  unsupportedSpec,
  type BenchServer,
} from './bench-server.js';
import { listenNestApp, type NestPlatform } from './nest-app.js';

type BenchEvent = MessageEvent & { readonly id: string };

/**
 * What a Nest application hand-rolls around `@Sse()`: one Subject every stream listens to, a
 * Subject per stream for messages to that client alone, and the last events for replay.
 */
@Injectable()
class BenchBus {
  readonly events = new Subject<MessageEvent>();
  readonly connections = new Map<string, Subject<MessageEvent>>();
  readonly history = new EventHistory<BenchEvent>();
  private nextConnection = 0;

  publish(event: BenchEvent): void {
    this.history.add(event);
    this.events.next(event);
  }

  /**
   * One connection's view of the bus: the events it missed, then both Subjects. The subscriber
   * is handed to each Subject as it is, so an event takes the same path as with
   * `events.asObservable()`; the replay is synchronous, so no event can fall in between.
   */
  stream(lastEventId: string | undefined): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      for (const event of this.history.after(lastEventId)) subscriber.next(event);
      const id = String(++this.nextConnection);
      const own = new Subject<MessageEvent>();
      this.connections.set(id, own);
      const shared = this.events.subscribe(subscriber);
      const targeted = own.subscribe(subscriber);
      return () => {
        this.connections.delete(id);
        shared.unsubscribe();
        targeted.unsubscribe();
      };
    });
  }
}

@Controller()
class NestSseBenchController {
  constructor(private readonly bus: BenchBus) {}

  @Sse(BENCH_CHANNEL)
  bench(@Headers('last-event-id') lastEventId?: string): Observable<MessageEvent> {
    return this.bus.stream(lastEventId);
  }
}

@Module({ controllers: [NestSseBenchController], providers: [BenchBus] })
class NestSseBenchModule {}

/** NestJS's built-in `@Sse()` on Express or Fastify. */
export async function createNestSseServer(
  spec: ServerSpec,
  platform: NestPlatform,
): Promise<BenchServer> {
  if (spec.redisUrl !== undefined) throw unsupportedSpec('NestJS @Sse()', spec);
  const app = await listenNestApp(NestSseBenchModule, platform);
  const bus = app.get(BenchBus);
  const nextId = idSequence();
  return {
    port: listeningPort(app.getHttpServer().address()),
    publish() {
      const id = nextId();
      bus.publish({ id, data: PAYLOAD });
      return id;
    },
    connectionIds: () => [...bus.connections.keys()],
    sendToEach(ids) {
      for (const id of ids) bus.connections.get(id)?.next({ data: PAYLOAD });
    },
    subscribers: () => bus.connections.size,
  };
}
