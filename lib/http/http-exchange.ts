import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** The framework's request/response pair reduced to what a stream needs, Express or Fastify. */
export interface HttpExchange {
  /** The request object the framework hands to handlers (`req.params`, `req.user` live here). */
  readonly request: FrameworkRequest;
  readonly rawRequest: IncomingMessage;
  readonly rawResponse: ServerResponse;
  /**
   * Takes the response over from the framework, so it neither sends nor closes it, and returns
   * the headers the framework or its middleware already set (CORS, `@Header()`), which must
   * still be sent.
   */
  takeOver(): OutgoingHttpHeaders;
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
  hijack(): unknown;
  getHeaders(): OutgoingHttpHeaders;
}

interface FastifyRequestLike extends FrameworkRequest {
  readonly raw: IncomingMessage;
}

const isFastifyReply = (res: unknown): res is FastifyReplyLike =>
  typeof (res as FastifyReplyLike | undefined)?.hijack === 'function';

export function toHttpExchange(req: unknown, res: unknown): HttpExchange {
  if (isFastifyReply(res)) {
    const request = req as FastifyRequestLike;
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
  const rawResponse = res as ServerResponse;
  return {
    request: req as FrameworkRequest,
    rawRequest: req as IncomingMessage,
    rawResponse,
    takeOver: () => ({}),
  };
}
