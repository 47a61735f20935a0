import { Controller, Get, Module, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BENCH_CHANNEL } from '../config.js';
import type { ServerSpec } from '../shared/protocol.js';
import { listeningPort, unsupportedSpec, type BenchServer } from './bench-server.js';
import { listenNestApp } from './nest-app.js';
import { RawHub } from './raw-http.server.js';

/** One hub per process: the controller below is the only one that hands it streams. */
const hub = new RawHub('socket');

@Controller()
class NestRouteBenchController {
  /** Express's request and response are node:http's, extended: the hub takes them as they are. */
  @Get(BENCH_CHANNEL)
  bench(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    hub.open(request, response);
  }
}

@Module({ controllers: [NestRouteBenchController] })
class NestRouteBenchModule {}

/**
 * The floor of any SSE library inside a NestJS Express application: a plain `@Get()` route that
 * hands its response to raw node:http's writer, so everything it costs over raw node:http is
 * what NestJS and Express do for a request (routing, the execution context, Express's request and
 * response objects), and what no library running in such a route can avoid.
 */
export async function createNestRouteServer(spec: ServerSpec): Promise<BenchServer> {
  if (spec.redisUrl !== undefined) throw unsupportedSpec('the NestJS route reference', spec);
  const app = await listenNestApp(NestRouteBenchModule, 'express');
  return {
    port: listeningPort(app.getHttpServer().address()),
    publish: () => hub.publish(),
    connectionIds: () => hub.connectionIds(),
    sendToEach: (ids) => hub.sendToEach(ids),
    subscribers: () => hub.subscribers(),
  };
}
