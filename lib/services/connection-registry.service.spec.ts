import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { filter, firstValueFrom, map, throwError, timeout } from 'rxjs';
import { SseChannel } from '../decorators/sse-channel.decorator.js';
import type { SseRequest } from '../interfaces/sse-channel-options.interface.js';
import type {
  SseCloseReason,
  SseConnectionEvent,
  SseConnectionInfo,
} from '../interfaces/sse-connection-info.interface.js';
import { SseModule } from '../sse.module.js';
import { BroadcastService } from './broadcast.service.js';
import { ConnectionRegistry } from './connection-registry.service.js';

/** Holds the `held/:room` handler, so its connection stays `connecting`, until opened. */
@Injectable()
class HandlerGate {
  private enter!: () => void;
  /** Resolves once a request reached the handler: its connection is admitted, connecting. */
  readonly entered = new Promise<void>((resolve) => (this.enter = resolve));
  private readonly released = new Promise<void>(() => undefined);

  async pass(): Promise<void> {
    this.enter();
    // Never released: the connection stays connecting until the app shuts down and drops it.
    await this.released;
  }
}

@Controller()
class StreamsController {
  constructor(private readonly gate: HandlerGate) {}

  @SseChannel('rooms/:room')
  room(): void {}

  @SseChannel('both', { channel: ['rooms/1', 'lobby'] })
  both(): void {}

  @SseChannel('held/:room', { channel: 'rooms/:room' })
  async held(): Promise<void> {
    await this.gate.pass();
  }
}

/** Stands in for an authentication guard: the user is the `x-user` header. */
function userFromHeader(request: SseRequest): string | undefined {
  const user = request.headers['x-user'];
  return typeof user === 'string' ? user : undefined;
}

/** A stream as a client over loopback reads it. */
interface Stream {
  /** Body bytes received so far. */
  received(): number;
  /** Resolves once the body holds `text`; fails after 5 s. */
  receives(text: string): Promise<void>;
  /** Resolves when the response is over, whichever side ended it. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Streams opened against one app on 127.0.0.1; `closeAll()` drops every one still open. */
class Clients {
  private readonly requests = new Set<ClientRequest>();

  constructor(private readonly port: number) {}

  /** Opens a stream; resolves once its headers arrived, when the server lists it as open. */
  open(path: string, user?: string): Promise<Stream> {
    return new Promise((resolve, reject) => {
      const client = this.send(path, user, reject);
      client.once('response', (response) => {
        if (response.statusCode === 200) resolve(streamOf(client, response));
        else reject(new Error(`GET ${path} was answered ${response.statusCode}`));
      });
    });
  }

  /** Sends the request of a stream without waiting for an answer. */
  send(path: string, user?: string, failed: (error: Error) => void = () => undefined) {
    const headers = { accept: 'text/event-stream', ...(user && { 'x-user': user }) };
    // No agent: a socket of its own per stream, closed with it.
    const client = request({ host: '127.0.0.1', port: this.port, path, headers, agent: false });
    client.on('error', failed);
    client.end();
    this.requests.add(client);
    return client;
  }

  closeAll(): void {
    for (const client of this.requests) client.destroy();
  }
}

function streamOf(client: ClientRequest, response: IncomingMessage): Stream {
  let text = '';
  let bytes = 0;
  const waiters = new Set<() => void>();
  response.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    text += chunk.toString('utf8');
    for (const check of waiters) check();
  });
  // A stream the server drops aborts the response: an expected ending here.
  response.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => response.once('close', () => resolve()));
  return {
    received: () => bytes,
    receives: (wanted) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!text.includes(wanted)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${JSON.stringify(wanted)}, got ${JSON.stringify(text)}`));
        }, 5_000);
        waiters.add(check);
        check();
      }),
    ended,
    close: () => client.destroy(),
  };
}

/** Resolves with the reason `id` was disconnected. Call it before what disconnects it. */
function disconnection(registry: ConnectionRegistry, id: string): Promise<SseCloseReason> {
  return firstValueFrom(
    registry.events$.pipe(
      filter(
        (event): event is Extract<SseConnectionEvent, { type: 'disconnected' }> =>
          event.type === 'disconnected' && event.connection.id === id,
      ),
      map((event) => event.reason),
      timeout({
        first: 5_000,
        with: () => throwError(() => new Error(`${id} was not disconnected`)),
      }),
    ),
  );
}

/** How a connection reads in assertions: its user (or `-`) and its state. */
const label = (info: SseConnectionInfo): string => `${info.userId ?? '-'} ${info.state}`;

describe('ConnectionRegistry', () => {
  let app: INestApplication;
  let registry: ConnectionRegistry;
  let clients: Clients;

  beforeEach(async () => {
    const testing = await Test.createTestingModule({
      imports: [SseModule.forRoot({ userId: userFromHeader })],
      controllers: [StreamsController],
      providers: [HandlerGate],
    }).compile();
    app = testing.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    registry = app.get(ConnectionRegistry);
    clients = new Clients((app.getHttpServer() as { address(): AddressInfo }).address().port);
  });

  afterEach(async () => {
    clients.closeAll();
    await app.close();
  });

  /** The id of the one live connection of `userId`. */
  function idOf(userId: string): string {
    const [info, ...others] = registry.list({ userId });
    if (!info || others.length > 0) throw new Error(`${userId} has not exactly one connection`);
    return info.id;
  }

  /** Sends a request to the held route and waits until its handler runs (connecting). */
  async function connecting(room: string, user: string): Promise<void> {
    clients.send(`/held/${room}`, user);
    await app.get(HandlerGate).entered;
  }

  it('lists and counts connecting and open connections without a state, not closing ones', async () => {
    await clients.open('/rooms/1', 'ada');
    await clients.open('/rooms/1', 'bob');
    await connecting('1', 'cy');
    // Ended by the server, bob's stream is closing until its socket has flushed: checked at once.
    registry.disconnect(idOf('bob'));
    expect(registry.list().map(label).sort()).toEqual(['ada open', 'cy connecting']);
    expect(registry.count()).toBe(2);
    expect(registry.list({ state: 'closing' }).map(label)).toEqual(['bob closing']);
  });

  it('combines the channel, userId and state filters with AND', async () => {
    await clients.open('/rooms/1', 'ada');
    await clients.open('/rooms/2', 'ada');
    await clients.open('/rooms/1', 'bob');
    await clients.open('/both');
    await connecting('1', 'cy');
    const users = (found: SseConnectionInfo[]) => found.map((info) => info.userId ?? '-').sort();
    expect({
      'rooms/1': users(registry.list({ channel: 'rooms/1' })),
      'rooms/1, ada': users(registry.list({ channel: 'rooms/1', userId: 'ada' })),
      'rooms/2, bob': users(registry.list({ channel: 'rooms/2', userId: 'bob' })),
      'rooms/1, connecting': users(registry.list({ channel: 'rooms/1', state: 'connecting' })),
      'ada, open': users(registry.list({ userId: 'ada', state: 'open' })),
      'lobby, open': users(registry.list({ channel: 'lobby', state: 'open' })),
      'lobby, ada': users(registry.list({ channel: 'lobby', userId: 'ada' })),
    }).toEqual({
      'rooms/1': ['-', 'ada', 'bob', 'cy'],
      'rooms/1, ada': ['ada'],
      'rooms/2, bob': [],
      'rooms/1, connecting': ['cy'],
      'ada, open': ['ada', 'ada'],
      'lobby, open': ['-'],
      'lobby, ada': [],
    });
  });

  it('counts what stats() reports: in total, per channel and per user', async () => {
    await clients.open('/rooms/1', 'ada');
    await clients.open('/rooms/2', 'ada');
    await clients.open('/both', 'bob');
    await clients.open('/rooms/1', 'dee');
    await connecting('3', 'cy');
    registry.disconnect(idOf('dee'));
    const stats = registry.stats();
    expect([registry.count(), stats.connections]).toEqual([4, 4]);
    expect([registry.count({ channel: 'rooms/1' }), stats.channels['rooms/1']]).toEqual([2, 2]);
    expect([registry.count({ userId: 'ada' }), stats.users.ada]).toEqual([2, 2]);
  });

  it("disconnect(id) ends that connection alone, counted under the reason 'disconnect'", async () => {
    const ada = await clients.open('/rooms/1', 'ada');
    await clients.open('/rooms/1', 'bob');
    const id = idOf('ada');
    const gone = disconnection(registry, id);
    expect(registry.disconnect(id)).toBe(1);
    expect(await gone).toBe('disconnect');
    await ada.ended;
    expect(registry.list().map(label)).toEqual(['bob open']);
    expect(registry.stats().disconnects).toEqual({ disconnect: 1 });
  });

  it('disconnect() of an id it does not know returns 0 and ends nothing', async () => {
    await clients.open('/rooms/1', 'ada');
    expect(registry.disconnect('nobody-1')).toBe(0);
    expect(registry.list().map(label)).toEqual(['ada open']);
  });

  it('disconnect(filter) ends every connection the filter matches and returns how many', async () => {
    await clients.open('/rooms/1', 'ada');
    await clients.open('/rooms/2', 'ada');
    await clients.open('/rooms/1', 'bob');
    const gone = Promise.all(
      registry.list({ userId: 'ada' }).map((c) => disconnection(registry, c.id)),
    );
    expect(registry.disconnect({ userId: 'ada' })).toBe(2);
    expect(await gone).toEqual(['disconnect', 'disconnect']);
    expect(registry.list().map(label)).toEqual(['bob open']);
  });

  it('totals connections now, per channel and user, and what was sent and why streams ended since start', async () => {
    const ada = await clients.open('/rooms/1', 'ada');
    const anonymous = await clients.open('/both');
    const anonymousId = registry.list().find((info) => info.userId === undefined)?.id ?? '';
    expect(await app.get(BroadcastService).publish('rooms/1', { data: 'hello' })).toMatchObject({
      delivered: 2,
    });
    // The whole frame, so each client has every byte sent to it.
    await Promise.all([ada.receives('data: hello\n\n'), anonymous.receives('data: hello\n\n')]);
    const gone = disconnection(registry, anonymousId);
    anonymous.close();
    expect(await gone).toBe('client');
    // The stream that is gone still counts in what was sent.
    expect(registry.stats()).toEqual({
      connections: 1,
      channels: { 'rooms/1': 1 },
      users: { ada: 1 },
      eventsSent: 2,
      bytesSent: ada.received() + anonymous.received(),
      droppedEvents: 0,
      disconnects: { client: 1 },
    });
  });

  it('emits connected when a stream opens and disconnected, with the reason, when it is gone', async () => {
    const seen: string[] = [];
    const subscription = registry.events$.subscribe((event) =>
      seen.push(
        event.type === 'connected'
          ? `connected ${event.connection.id}`
          : `disconnected ${event.connection.id} ${event.reason}`,
      ),
    );
    await clients.open('/rooms/1', 'ada');
    const id = idOf('ada');
    const gone = disconnection(registry, id);
    registry.disconnect(id);
    await gone;
    subscription.unsubscribe();
    expect(seen).toEqual([`connected ${id}`, `disconnected ${id} disconnect`]);
  });

  it("emits disconnected with the reason 'client' when the client goes away", async () => {
    const ada = await clients.open('/rooms/1', 'ada');
    const gone = disconnection(registry, idOf('ada'));
    ada.close();
    expect(await gone).toBe('client');
  });

  it('clusterStats() on the in-memory backend is the figures of stats(), from one instance', async () => {
    await clients.open('/rooms/1', 'ada');
    await clients.open('/both');
    await connecting('2', 'cy');
    const { connections, channels, users } = registry.stats();
    expect(connections).toBe(3);
    expect(await registry.clusterStats()).toEqual({ instances: 1, connections, channels, users });
  });

  it('clusterList() on the in-memory backend is list(), with the same filter', async () => {
    await clients.open('/rooms/1', 'ada');
    await clients.open('/both');
    await connecting('2', 'cy');
    expect(registry.list()).toHaveLength(3);
    expect(await registry.clusterList()).toEqual(registry.list());
    expect(await registry.clusterList({ channel: 'lobby' })).toEqual(
      registry.list({ channel: 'lobby' }),
    );
  });
});
