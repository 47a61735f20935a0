import { createChannel, createEventBuffer, createSession, type Session } from 'better-sse';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { BENCH_PATH, HOST, PAYLOAD } from '../config.js';
import type { ServerSpec } from '../shared/protocol.js';
import {
  EventHistory,
  idSequence,
  listeningPort,
  unsupportedSpec,
  type BenchServer,
} from './bench-server.js';

/** better-sse's default serializer is JSON.stringify, which would quote the payload. */
const passStrings = (data: unknown): string =>
  typeof data === 'string' ? data : JSON.stringify(data);

/**
 * better-sse as its README sets it up: sessions on node:http, registered with one Channel; a
 * map of sessions for messages to one client, and the last events for replay (better-sse keeps
 * none, but gives each session the client's `Last-Event-ID` as `lastId`).
 */
export async function createBetterSseServer(spec: ServerSpec): Promise<BenchServer> {
  if (spec.redisUrl !== undefined) throw unsupportedSpec('better-sse', spec);
  const channel = createChannel();
  const sessions = new Map<string, Session>();
  const history = new EventHistory<{ readonly id: string; readonly data: string }>();
  const nextId = idSequence();
  let nextConnection = 0;
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== BENCH_PATH) {
      response.writeHead(404).end();
      return;
    }
    createSession(request, response, { keepAlive: null, serializer: passStrings }).then(
      (session) => {
        const missed = history.after(session.lastId);
        if (missed.length > 0) {
          // An EventBuffer is sent at once, in one write, before any live event can be.
          const replay = createEventBuffer({ serializer: passStrings });
          for (const event of missed) replay.push(event.data, 'message', event.id);
          void session.batch(replay);
        }
        const id = String(++nextConnection);
        sessions.set(id, session);
        session.once('disconnected', () => sessions.delete(id));
        channel.register(session);
      },
      (error: unknown) => response.destroy(error instanceof Error ? error : undefined),
    );
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  return {
    port: listeningPort(server.address()),
    publish() {
      const eventId = nextId();
      history.add({ id: eventId, data: PAYLOAD });
      channel.broadcast(PAYLOAD, 'message', { eventId });
      return eventId;
    },
    connectionIds: () => [...sessions.keys()],
    sendToEach(ids) {
      // push() cannot leave the id out: without one it writes a random UUID.
      for (const id of ids) sessions.get(id)?.push(PAYLOAD);
    },
    subscribers: () => channel.sessionCount,
  };
}
