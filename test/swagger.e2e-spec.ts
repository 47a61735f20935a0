import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Module, VersioningType, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { connect, type SseStream } from '../lib/client/index.js';
import { SseChannel, SseModule } from '../lib/index.js';
import { SseSwaggerModule } from '../lib/swagger/index.js';
import { swaggerModule } from './fixtures/swagger-app.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';

/** A stream method two controllers inherit, one of them under a path with a param. */
abstract class ItemStreams {
  @SseChannel(':id/events', { channel: 'items/:id' })
  events(): void {}
}

@Controller('tenants/:tenant/items')
class TenantItemsController extends ItemStreams {}

@Controller('items')
class ItemsController extends ItemStreams {}

@Module({
  imports: [SseModule.forRoot(), SseSwaggerModule],
  controllers: [TenantItemsController, ItemsController],
})
class InheritedStreamsModule {}

/** The library's own statuses and the guards' ones, as a route's responses list them. */
const STREAM_STATUSES = ['200', '204', '429', '503'];
const JSON_ERROR = {
  'application/json': {
    schema: {
      type: 'object',
      properties: {
        statusCode: { type: 'integer' },
        message: { type: 'string' },
        error: { type: 'string' },
      },
    },
  },
};

type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: unknown }>;
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: Record<string, unknown> }> }
  >;
};

describe.each(ADAPTERS)('OpenAPI document of @SseChannel() routes on %s', (adapter) => {
  let running: RunningApp | undefined;
  let document: OpenAPIObject;
  const streams: SseStream[] = [];

  /** The app, with a global prefix and URI versioning, and its document built before listen(). */
  const start = async () => {
    running = await startApp(swaggerModule(), adapter, (app: INestApplication) => {
      app.setGlobalPrefix('api');
      app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
      document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('t').build());
      SwaggerModule.setup('docs', app, document, { ui: false, raw: ['json'] });
    });
  };
  const get = (path: string): Operation => {
    const operation = (document.paths[path] as { get?: Operation } | undefined)?.get;
    if (!operation) throw new Error(`no GET ${path} in ${Object.keys(document.paths).join(', ')}`);
    return operation;
  };
  const statuses = (operation: Operation) => Object.keys(operation.responses).sort();

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await running?.close();
    running = undefined;
  });

  it('lists each route as GET answering text/event-stream, under the prefix and version', async () => {
    await start();
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/v1/chat/rooms/{room}',
      '/api/v1/feeds/count',
      '/api/v1/feeds/jobs/{job}',
      '/api/v1/feeds/news',
      '/api/v1/feeds/status',
      '/api/v1/feeds/teams/{team}/inbox',
    ]);
    expect(get('/api/v1/feeds/news').responses['200']?.content).toEqual({
      'text/event-stream': {
        schema: {
          type: 'string',
          description: 'Server-Sent Events; this route declares no event contract.',
        },
      },
    });
  });

  it('documents a fixed channel with the statuses the library answers, and no others', async () => {
    await start();
    const news = get('/api/v1/feeds/news');
    expect(statuses(news)).toEqual(STREAM_STATUSES);
    expect(news.responses['204']).toEqual({ description: expect.stringContaining('finish()') });
    expect(news.responses['429']?.content).toEqual(JSON_ERROR);
    expect(news.responses['503']?.content).toEqual(JSON_ERROR);
  });

  it('adds 401 and 403 to a guarded route, and 400 when its channel comes from a param', async () => {
    await start();
    const job = get('/api/v1/feeds/jobs/{job}');
    expect(statuses(job)).toEqual(['200', '204', '400', '401', '403', '429', '503']);
    expect(job.parameters).toEqual([
      { name: 'job', in: 'path', required: true, schema: { type: 'number' } },
    ]);
  });

  it('documents a path param the method does not read, and 404 for a channel function', async () => {
    await start();
    const inbox = get('/api/v1/feeds/teams/{team}/inbox');
    expect(statuses(inbox)).toEqual(['200', '204', '400', '404', '429', '503']);
    expect(inbox.parameters).toEqual([
      { name: 'team', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });

  it('keeps a status the route documents itself', async () => {
    await start();
    expect(get('/api/v1/feeds/status').responses['503']).toEqual({
      description: 'Maintenance window',
    });
  });

  it('leaves routes that are not @SseChannel() as swagger documents them', async () => {
    await start();
    expect(get('/api/v1/feeds/count').responses).toEqual({ '200': { description: '' } });
  });

  it('documents a declared contract as one schema per event, each naming its event', async () => {
    await start();
    const room = get('/api/v1/chat/rooms/{room}');
    const schema = room.responses['200']?.content?.['text/event-stream']?.schema as {
      oneOf: Array<{ required: string[]; properties: { event: unknown; data: unknown } }>;
    };
    // No discriminator: OpenAPI 3.0 reads one only across named component schemas.
    expect(Object.keys(schema)).toEqual(['oneOf']);
    expect(
      schema.oneOf.map(({ required, properties }) => ({
        required,
        event: properties.event,
        data: properties.data,
      })),
    ).toEqual([
      {
        required: ['data'],
        event: { type: 'string', enum: ['message'], description: expect.any(String) },
        data: { $ref: '#/components/schemas/ChatMessageDto' },
      },
      {
        required: ['event', 'data'],
        event: { type: 'string', enum: ['typing'] },
        data: { $ref: '#/components/schemas/TypingDto' },
      },
      {
        required: ['event', 'data'],
        event: { type: 'string', enum: ['token'] },
        data: { type: 'string' },
      },
    ]);
  });

  it("puts payload classes into components through swagger's own model scanning", async () => {
    await start();
    expect(document.components?.schemas).toEqual({
      ChatMessageDto: {
        type: 'object',
        properties: {
          text: { type: 'string', minLength: 1, maxLength: 200 },
          author: { type: 'string' },
        },
        required: ['text', 'author'],
      },
      TypingDto: {
        type: 'object',
        properties: { user: { type: 'string' } },
        required: ['user'],
      },
    });
  });

  it("gives an inherited method only its own path's params, true of every controller", async () => {
    running = await startApp(InheritedStreamsModule, adapter);
    const inherited = SwaggerModule.createDocument(running.app, new DocumentBuilder().build());
    const names = (path: string) =>
      ((inherited.paths[path]?.get?.parameters ?? []) as Array<{ name: string }>).map(
        (param) => param.name,
      );
    // No `tenant` on the route whose path has none.
    expect(names('/items/{id}/events')).toEqual(['id']);
    expect(names('/tenants/{tenant}/items/{id}/events')).toContain('id');
  });

  it('serves the document over HTTP, and its path opens a stream', async () => {
    await start();
    const response = await fetch(`${running?.url}/docs-json`);
    expect(response.status).toBe(200);
    const served = (await response.json()) as OpenAPIObject;
    expect(served.paths).toEqual(JSON.parse(JSON.stringify(document.paths)));
    const path = Object.keys(served.paths).find((p) => p.includes('/chat/rooms/'));
    const stream = connect(`${running?.url}${path?.replace('{room}', '7')}`, { maxRetries: 0 });
    streams.push(stream);
    await expect(stream.opened()).resolves.toBeUndefined();
  });
});
