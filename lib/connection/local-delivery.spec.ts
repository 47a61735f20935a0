import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChannelHub } from './channel-hub.js';
import { ConnectionPool } from './connection-pool.js';
import { LocalDelivery } from './local-delivery.js';
import { eventFrame } from './outbound-frame.js';
import { SseConnection, tickLimitOf, type SseConnectionHost } from './sse-connection.js';
import { TickFlush } from './tick-flush.js';

const frame = eventFrame(Buffer.from('data: x\n\n'));

describe('LocalDelivery, writes of one tick', () => {
  let server: Server;
  let hub: ChannelHub;
  let pool: ConnectionPool;
  let delivery: LocalDelivery;
  let host: SseConnectionHost;
  let next = 0;

  beforeEach(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hub = new ChannelHub();
    pool = new ConnectionPool();
    delivery = new LocalDelivery(hub, pool);
    // The bookkeeping ChannelEndpoint does: a retired connection leaves its channels.
    host = {
      instance: 'test',
      tick: new TickFlush(),
      maxBufferedBytes: 1024 * 1024,
      tickLimit: tickLimitOf(1024 * 1024),
      slowConsumer: 'disconnect',
      retired: (connection) => {
        pool.retired(connection);
        hub.leave(connection);
      },
      closed: (connection) => pool.closed(connection),
    };
  });
  afterEach(async () => {
    for (const connection of [...pool.values()]) connection.destroy('client');
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** An open stream that has joined `channels`, with a client reading it over loopback. */
  async function member(channels: string[]): Promise<{
    connection: SseConnection;
    corks: () => number | undefined;
  }> {
    const responses = new Promise<ServerResponse>((resolve) =>
      server.once('request', (_request, response: ServerResponse) => resolve(response)),
    );
    const { port } = server.address() as AddressInfo;
    const client = request({ host: '127.0.0.1', port, path: '/' });
    client.on('response', (incoming) => incoming.resume().on('error', () => undefined));
    client.on('error', () => undefined);
    client.end();
    const response = await responses;
    const connection = new SseConnection(
      {
        id: `test-${++next}`,
        channels,
        userId: undefined,
        request: {},
        userAgent: undefined,
        response,
      },
      host,
    );
    pool.add(connection);
    connection.open({ 'content-type': 'text/event-stream' }, undefined);
    hub.join(connection);
    const socket = response.socket;
    return { connection, corks: () => socket?.writableCorked };
  }

  it('holds each socket corked once during the tick, and none after it, even one ended meanwhile', async () => {
    const both = await member(['x', 'y']);
    const onlyX = await member(['x']);
    const ended = await member(['x', 'z']);
    // Opening wrote to them in an earlier tick, whose end let them out.
    await new Promise((resolve) => process.nextTick(resolve));
    expect(delivery.toChannel('x', frame)).toBe(3);
    expect(delivery.toChannel('y', frame)).toBe(1);
    expect(delivery.toChannel('z', frame)).toBe(1);
    // Corked once each, however many frames and channels it received in the tick.
    expect(both.corks()).toBe(1);
    expect(onlyX.corks()).toBe(1);
    expect(ended.corks()).toBe(1);
    // Ending it lets out what it holds at once (Node's end() uncorks the socket).
    expect(delivery.finishChannel('z', frame)).toBe(1);
    expect(ended.corks()).toBe(0);
    expect(delivery.toChannel('x', frame)).toBe(2);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(both.corks()).toBe(0);
    expect(onlyX.corks()).toBe(0);
    expect(ended.corks()).toBe(0);
  });
});
