import {
  ServerResponse,
  validateHeaderName,
  validateHeaderValue,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';

/** The framework's request/response pair reduced to what a stream needs, Express or Fastify. */
export interface HttpExchange {
  /** The request object the framework hands to handlers (`req.params`, `req.user` live here). */
  readonly request: FrameworkRequest;
  readonly rawRequest: IncomingMessage;
  readonly rawResponse: ServerResponse;
  /**
   * The headers the framework or its middleware set apart from the response (CORS,
   * `@Header()` on Fastify), which must still be sent; undefined where they are on the
   * response already (Express).
   */
  heldHeaders(): OutgoingHttpHeaders | undefined;
  /**
   * Takes the response over from the framework, so it neither sends nor closes it: once the
   * headers are out, not before, so the framework can still answer if writing them fails.
   */
  takeOver(): void;
  /**
   * Removes from the held headers those Node refuses to write (a character above U+00FF, say),
   * so the framework's error response for the failed stream can go out.
   */
  dropUnsendableHeaders(): void;
}

/** The fields of an Express or Fastify request that the library reads. */
interface FrameworkRequest {
  readonly params?: Record<string, unknown>;
  readonly query?: Record<string, unknown>;
  readonly headers: IncomingMessage['headers'];
  readonly ip?: string;
  readonly user?: unknown;
}

interface FastifyReplyLike {
  readonly raw: ServerResponse;
  readonly request: FastifyRequestLike;
  hijack(): unknown;
  getHeaders(): OutgoingHttpHeaders;
  removeHeader(name: string): unknown;
}

interface FastifyRequestLike extends FrameworkRequest {
  readonly raw: IncomingMessage;
}

/** `next` is the continuation Express's router leaves on every request it routes. */
type ExpressRequestLike = IncomingMessage & FrameworkRequest & { next?: unknown };

const isFastifyReply = (res: unknown): res is FastifyReplyLike =>
  typeof (res as FastifyReplyLike | undefined)?.hijack === 'function';

/** The exchange of a framework response: Fastify's reply knows its request, Express's `res.req`. */
export function toHttpExchange(res: unknown): HttpExchange {
  // Tested first: Express's response has a long prototype chain to search for a `hijack` it lacks.
  if (!(res instanceof ServerResponse) && isFastifyReply(res)) return new FastifyExchange(res);
  // Express's req/res are Node's own objects, extended.
  return new ExpressExchange(res as ServerResponse & { req: ExpressRequestLike });
}

/** Classes rather than object literals: one allocation per connect, no closures. */
class FastifyExchange implements HttpExchange {
  readonly request: FastifyRequestLike;

  constructor(private readonly reply: FastifyReplyLike) {
    this.request = reply.request;
  }

  get rawRequest(): IncomingMessage {
    return this.request.raw;
  }

  get rawResponse(): ServerResponse {
    return this.reply.raw;
  }

  heldHeaders(): OutgoingHttpHeaders {
    return this.reply.getHeaders();
  }

  takeOver(): void {
    // Fastify would otherwise answer for the route when the handler's promise settles.
    this.reply.hijack();
  }

  dropUnsendableHeaders(): void {
    // Fastify checks header values only when it writes them: it would fail on its error
    // response too, leaving the request unanswered and the error uncaught.
    for (const [name, value] of Object.entries(this.reply.getHeaders())) {
      try {
        validateHeaderName(name);
        if (value !== undefined)
          for (const item of Array.isArray(value) ? value : [value])
            validateHeaderValue(name, String(item));
      } catch {
        this.reply.removeHeader(name);
      }
    }
  }
}

class ExpressExchange implements HttpExchange {
  constructor(readonly rawResponse: ServerResponse & { req: ExpressRequestLike }) {}

  get request(): ExpressRequestLike {
    return this.rawResponse.req;
  }

  get rawRequest(): IncomingMessage {
    return this.rawResponse.req;
  }

  heldHeaders(): undefined {
    return undefined;
  }

  takeOver(): void {
    // Express keeps its router's continuation on the request for as long as the request
    // lives (about 0.8 KB with what it holds); a stream never goes back to the router.
    this.rawResponse.req.next = undefined;
  }

  dropUnsendableHeaders(): void {
    // Nothing held: Node checked each header when Express set it on the response.
  }
}
