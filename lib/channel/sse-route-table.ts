import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { SseMessages } from '../sse.messages.js';
import { SseChannelMetadataAccessor } from './sse-channel-metadata.accessor.js';
import { HANDLER_PARAM_DECORATORS } from './sse-handler-params.js';
import { compileSseRoute, type SseRoute } from './sse-route.js';

/**
 * Every `@SseChannel()` route of the application, compiled at boot. Compiling all of them in
 * `onModuleInit` makes an invalid channel template fail `app.init()` rather than a request.
 */
@Injectable()
export class SseRouteTable implements OnModuleInit {
  /**
   * By controller class, then handler: a method a base class declares is one function for every
   * controller that inherits it, each with its own path, and so its own route.
   */
  private readonly routes = new Map<object, Map<object, SseRoute>>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: SseChannelMetadataAccessor,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller?.prototype) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[method];
        if (typeof handler !== 'function') continue;
        const route = this.compile(controller, handler, method);
        const [marked] = this.accessor.getHandlerParams(prototype, method);
        if (!route && marked) {
          const decorator = HANDLER_PARAM_DECORATORS[marked.kind];
          throw new Error(SseMessages.paramOutsideSseChannel(decorator, controller.name, method));
        }
      }
    }
  }

  /** The route of a handler; compiled on first use if boot-time discovery did not see it. */
  get(controller: { name: string; prototype?: object }, handler: object): SseRoute | undefined {
    return (
      this.routes.get(controller)?.get(handler) ??
      this.compile(controller, handler, String((handler as { name?: unknown }).name))
    );
  }

  private compile(
    controller: { name: string; prototype?: object },
    handler: object,
    method: string,
  ): SseRoute | undefined {
    const metadata = this.accessor.getChannelMetadata(handler);
    if (!metadata) return undefined;
    const route = compileSseRoute(
      `${controller.name}.${method}`,
      this.accessor.getControllerPath(controller),
      metadata,
      controller.prototype ? this.accessor.getHandlerParams(controller.prototype, method) : [],
    );
    let routes = this.routes.get(controller);
    if (!routes) this.routes.set(controller, (routes = new Map()));
    routes.set(handler, route);
    return route;
  }
}
