import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { ResolvedSseOptions } from '../interfaces/sse-options.interface.js';
import { SSE_OPTIONS } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';
import { ChannelEndpoint } from './channel-endpoint.service.js';

/**
 * Hands `@SseChannel()` handlers the endpoint of the SSE module their controller sees, through
 * a hidden parameter. Nest creates a parameter's pipe in the controller's module, with that
 * module's injector: the pipe asks it for the module's options, which a controller whose module
 * does not see `SseModule` cannot have (the boot fails, naming both), and serves requests with
 * the endpoint those options belong to. The module exports none of its internals for this.
 */
@Injectable()
export class SseStreamsPipe implements PipeTransform<unknown, ChannelEndpoint> {
  private endpoint: ChannelEndpoint | undefined;

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(SSE_OPTIONS) private readonly options: ResolvedSseOptions,
  ) {}

  transform(): ChannelEndpoint {
    return (this.endpoint ??= this.find());
  }

  private find(): ChannelEndpoint {
    // One endpoint per SseModule in the application; the options object is its module's own.
    const endpoints = this.moduleRef.get(ChannelEndpoint, { strict: false, each: true });
    const endpoint = endpoints.find((candidate) => candidate.servesModuleOf(this.options));
    if (!endpoint) throw new Error(SseMessages.endpointMissing());
    return endpoint;
  }
}
