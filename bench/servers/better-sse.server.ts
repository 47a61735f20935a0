import { createChannel, createSession } from 'better-sse';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { BENCH_PATH, HOST, PAYLOAD } from '../config.js';
import { idSequence, listeningPort, type BenchServer } from './bench-server.js';

/** better-sse's default serializer is JSON.stringify, which would quote the payload. */
const passStrings = (data: unknown): string =>
  typeof data === 'string' ? data : JSON.stringify(data);

/** better-sse as its README sets it up: sessions on node:http, registered with one Channel. */
export async function createBetterSseServer(): Promise<BenchServer> {
  const channel = createChannel();
  const nextId = idSequence();
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== BENCH_PATH) {
      response.writeHead(404).end();
      return;
    }
    createSession(request, response, { keepAlive: null, serializer: passStrings }).then(
      (session) => channel.register(session),
      (error: unknown) => response.destroy(error instanceof Error ? error : undefined),
    );
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  return {
    port: listeningPort(server.address()),
    publish() {
      channel.broadcast(PAYLOAD, 'message', { eventId: nextId() });
    },
    subscribers: () => channel.sessionCount,
  };
}
