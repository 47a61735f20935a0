import { Injectable, Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { SseChannelMetadataAccessor } from '../channel/sse-channel-metadata.accessor.js';
import { documentSseRoute } from './sse-route-docs.js';

/**
 * Documents every `@SseChannel()` route of the application when it is created. The work is
 * done in the constructor, not in `onModuleInit()`: applications call
 * `SwaggerModule.createDocument()` after `NestFactory.create()`, which creates providers, but
 * usually before `listen()`, which runs the init hooks.
 */
@Injectable()
export class SseSwaggerDocs {
  constructor(discovery: DiscoveryService, scanner: MetadataScanner) {
    const accessor = new SseChannelMetadataAccessor(new Reflector());
    for (const wrapper of discovery.getControllers()) {
      const controller = wrapper.metatype as (abstract new (...args: never[]) => unknown) | null;
      if (typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const key of scanner.getAllMethodNames(prototype)) {
        const method = prototype[key];
        if (typeof method !== 'function') continue;
        const metadata = accessor.getChannelMetadata(method);
        if (!metadata) continue;
        documentSseRoute({
          controller,
          key,
          method,
          metadata,
          controllerPath: accessor.getControllerPath(controller),
        });
      }
    }
  }
}

/**
 * Puts the application's `@SseChannel()` routes into the OpenAPI document that
 * `@nestjs/swagger` builds: each as `GET` answering `text/event-stream`, with its path params,
 * 401/403 when it has guards, the statuses the library answers (204 for a finished channel,
 * 400 and 404 for channels taken from the request, 429 and 503 at the connection limits) and,
 * when the route declares its events (`@SseChannel(path, { events: ChatEvents })`), one schema
 * per event, payload classes as components. Import it once, beside `SseModule`; swagger
 * computes paths, global prefixes and versions as for any route. Statuses a route declares
 * itself with `@ApiResponse()` are kept.
 *
 * @example
 * \@Module({ imports: [SseModule.forRoot(), SseSwaggerModule], controllers: [ChatController] })
 * export class AppModule {}
 *
 * const app = await NestFactory.create(AppModule);
 * SwaggerModule.setup('api', app, SwaggerModule.createDocument(app, new DocumentBuilder().build()));
 */
@Module({ imports: [DiscoveryModule], providers: [SseSwaggerDocs] })
export class SseSwaggerModule {}
