import { ServerResponse, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';

/** The framework's request/response pair reduced to what a stream needs, Express or Fastify. */
export interface HttpExchange {
  /** The request object the framework hands to handlers (`req.params`, `req.user` live here). */
  readonly request: FrameworkRequest;
  readonly rawRequest: IncomingMessage;
  readonly rawResponse: ServerResponse;
  /**
   * Takes the response over from the framework, so it neither sends nor closes it, and returns
   * the headers the framework or its middleware set apart from the response (CORS,
   * `@Header()` on Fastify), which must still be sent; undefined where they are on the
   * response already (Express).
   */
  takeOver(): OutgoingHttpHeaders | undefined;
}

/** The fields of an Express or Fastify request that the library reads. */
export interface FrameworkRequest {
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
  if (!(res instanceof ServerResponse) && isFastifyReply(res)) {
    const request = res.request;
    return {
      request,
      rawRequest: request.raw,
      rawResponse: res.raw,
      takeOver: () => {
        // Fastify would otherwise answer for the route when the handler's promise settles.
        res.hijack();
        return res.getHeaders();
      },
    };
  }
  // Express's req/res are Node's own objects, extended.
  const rawResponse = res as ServerResponse & { req: ExpressRequestLike };
  return {
    request: rawResponse.req,
    rawRequest: rawResponse.req,
    rawResponse,
    takeOver: () => {
      // Express keeps its router's continuation on the request for as long as the request
      // lives (about 0.8 KB with what it holds); a stream never goes back to the router.
      rawResponse.req.next = undefined;
      return undefined;
    },
  };
}
