import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';

/** A request as the server received it. */
export interface HostileRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** `Date.now()` when the request arrived. */
  readonly at: number;
}

/** One response being made; handlers drive it step by step. */
export interface HostileExchange {
  readonly request: HostileRequest;
  /** 0 for the first request to this path, 1 for the second... */
  readonly index: number;
  readonly response: ServerResponse;
  /** Resolves when the connection is gone, whoever closed it. */
  readonly closed: Promise<void>;
  /** Sends 200 `text/event-stream` headers at once. */
  open(headers?: Record<string, string>): void;
  /**
   * Writes `text`; with `byteByByte`, one byte per write with a macrotask between, so the
   * bytes cross the socket in separate segments. Resolves false if the client left.
   */
  write(text: string | Uint8Array, options?: { byteByByte?: boolean }): Promise<boolean>;
  end(): void;
  /** Destroys the socket: the client sees a reset, mid-event if the handler wrote half of one. */
  drop(): void;
}

export type HostileHandler = (exchange: HostileExchange) => void | Promise<void>;

export interface HostileServerOptions {
  /** Answer CORS preflights and allow any origin with credentials (for browser tests). */
  readonly cors?: boolean;
}

/**
 * A deliberately difficult SSE server on a real port: each path follows a script, one handler
 * per successive request (the last one repeats), so a test can say "the first connection
 * drops mid-event, the second replays, the third answers 204".
 */
export class HostileSseServer {
  readonly requests: HostileRequest[] = [];
  private readonly routes = new Map<string, readonly HostileHandler[]>();
  private readonly sockets = new Set<Socket>();
  private readonly requestWaiters = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: HostileServerOptions = {}): Promise<HostileSseServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const instance = new HostileSseServer(server, `http://127.0.0.1:${address.port}`);
    server.on('request', (req, res) => void instance.handle(req, res, options));
    server.on('connection', (socket: Socket) => {
      instance.sockets.add(socket);
      socket.on('close', () => instance.sockets.delete(socket));
    });
    return instance;
  }

  /** Scripts `path`: the n-th request is answered by `handlers[n]`, or by the last one. */
  route(path: string, ...handlers: HostileHandler[]): this {
    this.routes.set(path, handlers);
    return this;
  }

  requestsTo(path: string): HostileRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Resolves once `count` requests reached `path`; fails after `timeoutMs` saying what came. */
  waitForRequests(path: string, count: number, timeoutMs = 5000): Promise<HostileRequest[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const matching = this.requestsTo(path);
        if (matching.length < count) return;
        this.requestWaiters.delete(check);
        clearTimeout(timer);
        resolve(matching);
      };
      const timer = setTimeout(() => {
        this.requestWaiters.delete(check);
        const seen = this.requests.map((r) => `${r.method} ${r.path}`).join(', ') || 'none';
        reject(
          new Error(
            `Timed out after ${timeoutMs} ms waiting for ${count} requests to ${path}; got: ${seen}`,
          ),
        );
      }, timeoutMs);
      this.requestWaiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
    options: HostileServerOptions,
  ): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (options.cors) {
      res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
      res.setHeader('access-control-allow-credentials', 'true');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, POST',
          'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
          'access-control-max-age': '0',
        });
        res.end();
        return;
      }
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: HostileRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: Date.now(),
    };
    const handlers = this.routes.get(path);
    const index = this.requestsTo(path).length;
    this.requests.push(request);
    for (const check of this.requestWaiters) check();
    if (!handlers || handlers.length === 0) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`No route for ${path}`);
      return;
    }
    const handler = handlers[Math.min(index, handlers.length - 1)] as HostileHandler;
    await handler(exchange(request, index, res));
  }
}

function exchange(
  request: HostileRequest,
  index: number,
  response: ServerResponse,
): HostileExchange {
  const socket = response.socket as Socket;
  socket.setNoDelay(true);
  const closed = new Promise<void>((resolve) => response.once('close', () => resolve()));
  const gone = (): boolean => response.destroyed || socket.destroyed;
  return {
    request,
    index,
    response,
    closed,
    open(headers = {}) {
      response.writeHead(200, { 'content-type': 'text/event-stream', ...headers });
      response.flushHeaders();
    },
    async write(text, { byteByByte = false } = {}) {
      const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
      if (!byteByByte) {
        if (gone()) return false;
        response.write(bytes);
        return true;
      }
      for (let i = 0; i < bytes.length; i++) {
        if (gone()) return false;
        response.write(bytes.subarray(i, i + 1));
        await new Promise((resolve) => setImmediate(resolve));
      }
      return !gone();
    },
    end() {
      response.end();
    },
    drop() {
      socket.destroy();
    },
  };
}

/** Scripted step: answer with these SSE frames, then end the response (a clean end). */
export const sendAndEnd =
  (text: string, headers?: Record<string, string>): HostileHandler =>
  async (exchange) => {
    exchange.open(headers);
    await exchange.write(text);
    exchange.end();
  };

/** Scripted step: answer with a bare status and body. */
export const status =
  (code: number, body = '', contentType = 'text/plain'): HostileHandler =>
  (exchange) => {
    exchange.response.writeHead(code, { 'content-type': contentType }).end(body);
  };
