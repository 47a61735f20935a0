import { ApiExtraModels, ApiParam, ApiResponse, DECORATORS, getSchemaPath } from '@nestjs/swagger';
import type { SseChannelMetadata } from '../channel/sse-channel-metadata.accessor.js';
import { payloadClassOf } from '../contracts/define-sse-events.js';
import type { SseEventContract, SseJsonSchema } from '../protocol/event-contract.js';
import { MAX_STREAM_CHANNELS } from '../wire/stream-position.js';
import { SSE_SWAGGER_TEXTS as TEXTS } from './swagger.messages.js';

/** Swagger's response options: what `ApiResponse()` takes. */
type ResponseOptions = Parameters<typeof ApiResponse>[0];

/**
 * The key NestJS stores `@UseGuards()` under (`GUARDS_METADATA` in `@nestjs/common/constants`,
 * unchanged since NestJS 5). It is not exported from the package root, and deep imports break
 * across majors, so the value is mirrored here, as `NEST_PATH_METADATA` is.
 */
const NEST_GUARDS_METADATA = '__guards__';

/** Marks a method already documented, so a second app in the process does not add it twice. */
const DOCUMENTED = Symbol('sse:swagger-documented');

const PLACEHOLDER = /:([A-Za-z0-9_]+)/g;
const HAS_PLACEHOLDER = /:[A-Za-z0-9_]+/;

/** Nest's JSON error body, which every refusal before the stream opens is answered with. */
const ERROR_BODY: SseJsonSchema = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    message: { type: 'string' },
    error: { type: 'string' },
  },
};

/** What one `@SseChannel()` route is, as its documentation needs it. */
export interface DocumentedRoute {
  readonly controller: abstract new (...args: never[]) => unknown;
  readonly key: string;
  readonly method: object;
  readonly metadata: SseChannelMetadata;
  /** The controller's path (`@Controller('chat')`), for the route's placeholders. */
  readonly controllerPath: string;
}

/**
 * Documents one `@SseChannel()` route with swagger's own decorators, applied to its method, so
 * `SwaggerModule.createDocument()` puts it in the document like any route: paths, prefixes and
 * versions computed by swagger, payload classes scanned into components by swagger. Statuses
 * the application declared itself (`@ApiResponse()`) are left as they are.
 */
export function documentSseRoute(route: DocumentedRoute): void {
  const { method } = route;
  if (Reflect.getOwnMetadata(DOCUMENTED, method)) return;
  Reflect.defineMetadata(DOCUMENTED, true, method);
  const declared = new Set(
    Object.keys((Reflect.getMetadata(DECORATORS.API_RESPONSE, method) as object | undefined) ?? {}),
  );
  const descriptor = { value: method } as TypedPropertyDescriptor<unknown>;
  const apply = (decorator: MethodDecorator) =>
    decorator(route.controller.prototype as object, route.key, descriptor);
  const contract = route.metadata.options.events;
  const models = contract ? payloadClasses(contract) : [];
  if (models.length > 0) apply(ApiExtraModels(...models));
  for (const name of undeclaredPathParams(route))
    apply(ApiParam({ name, required: true, type: String }));
  for (const response of responsesOf(route, contract)) {
    if (!declared.has(String(response.status))) apply(ApiResponse(response));
  }
}

/** The statuses the endpoint answers this route with (see `lib/endpoint/`). */
function responsesOf(
  route: DocumentedRoute,
  contract: SseEventContract | undefined,
): Array<ResponseOptions & { status: number }> {
  const channel = route.metadata.options.channel;
  // As the route compiles it: a template with params, or a function, names channels from the
  // request, which may be invalid names; fixed names were checked at boot.
  const fromRequest =
    typeof channel === 'function' ||
    [channel ?? (route.metadata.path || route.controllerPath)]
      .flat()
      .some((template) => HAS_PLACEHOLDER.test(template));
  const error = (status: number, description: string) => ({
    status,
    description,
    content: { 'application/json': { schema: ERROR_BODY } },
  });
  const responses: Array<ResponseOptions & { status: number }> = [
    {
      status: 200,
      description: contract ? TEXTS.streamWithEvents() : TEXTS.stream(),
      content: { 'text/event-stream': { schema: contract ? eventsSchema(contract) : STREAM } },
    },
    { status: 204, description: TEXTS.finished() },
  ];
  if (fromRequest) responses.push(error(400, TEXTS.badChannel(MAX_STREAM_CHANNELS)));
  if (hasGuards(route)) {
    responses.push(error(401, TEXTS.unauthorized()), error(403, TEXTS.forbidden()));
  }
  if (typeof channel === 'function') responses.push(error(404, TEXTS.noChannel()));
  responses.push(error(429, TEXTS.tooManyForUser()), error(503, TEXTS.unavailable()));
  return responses;
}

/** A route without a contract: a stream of events whose names and data are not declared. */
const STREAM: SseJsonSchema = { type: 'string', description: TEXTS.undeclaredEvents() };

/**
 * One schema per event (name, id, data): what a client receives, an event at a time. Each
 * names its event in an `enum`, which tells them apart; no `discriminator`, which OpenAPI 3.0
 * reads only across named component schemas, and which an unnamed event (sent without an
 * `event` field) could not satisfy.
 */
function eventsSchema(contract: SseEventContract): SseJsonSchema {
  return { oneOf: Object.keys(contract.events).map((name) => eventSchema(contract, name)) };
}

function eventSchema(contract: SseEventContract, name: string): SseJsonSchema {
  const unnamed = name === 'message';
  return {
    type: 'object',
    title: name,
    required: unnamed ? ['data'] : ['event', 'data'],
    properties: {
      event: {
        type: 'string',
        enum: [name],
        ...(unnamed ? { description: TEXTS.messageEvent() } : {}),
      },
      id: { type: 'string', description: TEXTS.eventId() },
      data: dataSchema(contract, name),
    },
  };
}

function dataSchema(contract: SseEventContract, name: string): SseJsonSchema {
  const payload = payloadClassOf(contract, name);
  if (payload) return { $ref: getSchemaPath(payload) };
  const spec = contract.events[name] as { schema?: SseJsonSchema };
  return spec.schema ?? { description: TEXTS.undocumentedPayload() };
}

function payloadClasses(contract: SseEventContract): Array<new (...args: never[]) => object> {
  const classes = Object.keys(contract.events).map((name) => payloadClassOf(contract, name));
  return [...new Set(classes.filter((payload) => payload !== undefined))];
}

/** Guards on the method or its controller answer 401 or 403 before the stream opens. */
function hasGuards(route: DocumentedRoute): boolean {
  const guarded = (target: object) =>
    ((Reflect.getMetadata(NEST_GUARDS_METADATA, target) as unknown[] | undefined)?.length ?? 0) > 0;
  return guarded(route.method) || guarded(route.controller);
}

/**
 * Placeholders of the route's path that no `@Param()` documents (a channel template may use a
 * param the method never reads); the others are swagger's own, with their types.
 */
function undeclaredPathParams(route: DocumentedRoute): string[] {
  // Swagger reads a method's docs from the function, which an inherited method shares with
  // every controller that inherits it: only its own path's params are true of all of them.
  const own = Object.prototype.hasOwnProperty.call(route.controller.prototype, route.key);
  const path = own ? `${route.controllerPath}/${route.metadata.path}` : route.metadata.path;
  const names = [...path.matchAll(PLACEHOLDER)].map((match) => match[1] as string);
  const documented = new Set(
    (
      (Reflect.getMetadata(DECORATORS.API_PARAMETERS, route.method) as
        Array<{ name?: string }> | undefined) ?? []
    ).map((param) => param.name),
  );
  const read = readParamNames(route);
  return [...new Set(names)].filter((name) => !documented.has(name) && !read.has(name));
}

/** The names the method's `@Param('name')` parameters read. */
function readParamNames(route: DocumentedRoute): Set<string> {
  // Nest's ROUTE_ARGS_METADATA, mirrored like the guards key: `{ '<type>:<index>': { data } }`,
  // where type 5 is RouteParamtypes.PARAM.
  const args =
    (Reflect.getMetadata('__routeArguments__', route.controller, route.key) as
      Record<string, { data?: unknown }> | undefined) ?? {};
  return new Set(
    Object.entries(args)
      .filter(([key, arg]) => key.startsWith('5:') && typeof arg.data === 'string')
      .map(([, arg]) => arg.data as string),
  );
}
