import { createServer, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { BENCH_PATH, HOST, PAYLOAD } from '../config.js';
import { idSequence, listeningPort, type BenchServer } from './bench-server.js';

const HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

/**
 * The practical limit: node:http with nothing in between. Each event is encoded once into a
 * Buffer and that Buffer is written to every response.
 */
export async function createRawHttpServer(): Promise<BenchServer> {
  const responses = new Set<ServerResponse>();
  const nextId = idSequence();
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== BENCH_PATH) {
      response.writeHead(404).end();
      return;
    }
    request.socket.setNoDelay(true);
    response.writeHead(200, HEADERS);
    response.flushHeaders();
    responses.add(response);
    response.once('close', () => responses.delete(response));
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  return {
    port: listeningPort(server.address()),
    publish() {
      const frame = Buffer.from(`id: ${nextId()}\ndata: ${PAYLOAD}\n\n`);
      for (const response of responses) response.write(frame);
    },
    subscribers: () => responses.size,
  };
}
