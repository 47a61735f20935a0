import { Injectable, type PipeTransform } from '@nestjs/common';
import { SseStreamService } from '../connection/sse-stream.service.js';

/**
 * Hands `@SseChannel()` handlers the module's stream service, through a hidden parameter. Nest
 * resolves pipes with dependency injection in the controller's module, so the handler reaches
 * the services of the right application without any per-request interceptor or shared state.
 */
@Injectable()
export class SseStreamsPipe implements PipeTransform<unknown, SseStreamService> {
  constructor(private readonly streams: SseStreamService) {}

  transform(): SseStreamService {
    return this.streams;
  }
}
