import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { finalize, from, switchMap, type Observable } from 'rxjs';
import { SseStreamService } from '../connection/sse-stream.service.js';
import { toHttpExchange } from '../http/http-exchange.js';
import { SseMessages } from '../sse.messages.js';
import { attachAdmission } from './sse-admission.js';
import { SseRouteTable } from './sse-route-table.js';

/**
 * Added by `@SseChannel()`. Runs after the guards: resolves the request's channels, checks the
 * limits and finished channels (all answered as ordinary HTTP errors), reserves the connection,
 * and hands the handler wrapper an admission that opens the stream once the handler returned.
 */
@Injectable()
export class SseChannelInterceptor implements NestInterceptor {
  constructor(
    private readonly routes: SseRouteTable,
    private readonly streams: SseStreamService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.routes.get(context.getClass(), context.getHandler());
    if (!route) {
      throw new Error(
        SseMessages.interceptorOutsideSseChannel(
          context.getClass().name,
          context.getHandler().name,
        ),
      );
    }
    const http = context.switchToHttp();
    const response = http.getResponse<object>();
    return from(this.streams.admit(route, toHttpExchange(http.getRequest(), response))).pipe(
      switchMap((admission) => {
        attachAdmission(response, admission);
        return next.handle().pipe(finalize(() => admission.abandon()));
      }),
    );
  }
}
