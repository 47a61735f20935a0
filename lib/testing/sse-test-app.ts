import type {
  DynamicModule,
  INestApplication,
  LoggerService,
  LogLevel,
  Type,
} from '@nestjs/common';
import { NestFactory, type AbstractHttpAdapter } from '@nestjs/core';
import { connect, SseClientError, type SseClientOptions, type SseStream } from '../client/index.js';
import { SseRecording, type SseRecordOptions } from './sse-recording.js';
import { SSE_TESTING_DEFAULTS } from './testing.constants.js';
import { SseTestingMessages } from './testing.messages.js';

/** What {@link createSseTestApp} can start: a module, or an application made elsewhere. */
export type SseTestTarget = Type<unknown> | DynamicModule | INestApplication;

/** Options of {@link createSseTestApp}. */
export interface SseTestAppOptions extends SseRecordOptions {
  /** For a module: the HTTP adapter (e.g. `new FastifyAdapter()`). Default: Nest's, Express. */
  readonly httpAdapter?: AbstractHttpAdapter;
  /** For a module: the logger. Default: errors and warnings only. */
  readonly logger?: LoggerService | LogLevel[] | false;
  /** Runs before the application listens: CORS, global pipes, middleware. */
  readonly configure?: (app: INestApplication) => void | Promise<void>;
  /** Client options every `open()` starts from. */
  readonly client?: SseClientOptions;
}

/** Options of {@link SseTestApp.open}: client options, recording options, and `json`. */
export interface SseOpenOptions extends SseClientOptions, SseRecordOptions {
  /** Parse each message's data as JSON (see `SseStream.json()`). */
  readonly json?: boolean;
}

/**
 * A NestJS application listening on a free port of 127.0.0.1, with streams opened against it
 * and recorded. `close()` closes every stream it opened, then the application if it created
 * it. An application passed in is left running; before closing it, call
 * `app.getHttpServer().closeAllConnections()`, or `app.close()` may wait seconds for the idle
 * connection Node's fetch opens after an aborted stream (nodejs/undici#5845).
 *
 * @example
 * const sse = await createSseTestApp(AppModule);
 * const streams = await sse.openMany<{ text: string }>(2, '/rooms/42/events', { json: true });
 * await sse.app.get(BroadcastService).publish('rooms/42', { data: { text: 'hi' } });
 * await Promise.all(streams.map((s) => s.waitFor((m) => m.data.text === 'hi')));
 * await sse.close();
 */
export class SseTestApp {
  private readonly opened = new Set<SseRecording<unknown>>();

  private constructor(
    readonly app: INestApplication,
    /** Base URL, e.g. `http://127.0.0.1:41234`. */
    readonly url: string,
    private readonly ownsApp: boolean,
    private readonly options: SseTestAppOptions,
  ) {}

  /** @internal Use {@link createSseTestApp}. */
  static async start(target: SseTestTarget, options: SseTestAppOptions): Promise<SseTestApp> {
    const given = isApplication(target) ? target : undefined;
    if (given === undefined && !isModule(target))
      throw new TypeError(SseTestingMessages.notAnApp());
    const app =
      given ?? (await createApplication(target as Type<unknown> | DynamicModule, options));
    try {
      const server = app.getHttpServer() as { listening?: boolean };
      if (!server.listening) {
        await options.configure?.(app);
        await app.listen(0, '127.0.0.1');
      }
      return new SseTestApp(app, loopbackUrl(await app.getUrl()), given === undefined, options);
    } catch (error) {
      if (given === undefined) await app.close();
      throw error;
    }
  }

  /** Streams opened and not yet closed. */
  get streams(): readonly SseRecording<unknown>[] {
    return [...this.opened];
  }

  /**
   * Connects to `path` and resolves once the server has accepted the stream, so what is
   * published afterwards reaches it. Rejects with the client's error (e.g. `SseHttpError` for
   * a 403) if the stream fails first, or after `timeoutMs`.
   */
  open(
    path: string,
    options?: SseOpenOptions & { readonly json?: false },
  ): Promise<SseRecording<string>>;
  open<T = unknown>(
    path: string,
    options: SseOpenOptions & { readonly json: true },
  ): Promise<SseRecording<T>>;
  async open(path: string, options: SseOpenOptions = {}): Promise<SseRecording<unknown>> {
    const url = new URL(path, this.url).href;
    const { json, timeoutMs, historyLimit, ...client } = options;
    const text = connect(url, { ...this.options.client, ...client });
    const stream: SseStream<unknown> = json ? text.json() : text;
    const recorded = new SseRecording(stream, {
      timeoutMs: timeoutMs ?? this.options.timeoutMs,
      historyLimit: historyLimit ?? this.options.historyLimit,
    });
    this.opened.add(recorded);
    const limit = timeoutMs ?? this.options.timeoutMs ?? SSE_TESTING_DEFAULTS.timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        stream.opened(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(SseTestingMessages.openTimedOut(limit, url))),
            limit,
          );
        }),
      ]);
      return recorded;
    } catch (error) {
      this.forget(recorded);
      if (error instanceof SseClientError) throw error;
      throw new Error(SseTestingMessages.openFailed(url, error), { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Opens `count` streams to `path` at once; resolves when all are accepted. */
  async openMany(
    count: number,
    path: string,
    options?: SseOpenOptions & { readonly json?: false },
  ): Promise<SseRecording<string>[]>;
  async openMany<T = unknown>(
    count: number,
    path: string,
    options: SseOpenOptions & { readonly json: true },
  ): Promise<SseRecording<T>[]>;
  async openMany(
    count: number,
    path: string,
    options: SseOpenOptions = {},
  ): Promise<SseRecording<unknown>[]> {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(SseTestingMessages.invalidCount(count));
    const opening = Array.from({ length: count }, () =>
      this.open(path, options as SseOpenOptions & { readonly json: true }),
    );
    const settled = await Promise.allSettled(opening);
    const failure = settled.find((result) => result.status === 'rejected');
    if (failure) {
      // All or nothing: the streams that did open would otherwise outlive the failed call.
      for (const result of settled) if (result.status === 'fulfilled') this.forget(result.value);
      throw failure.reason;
    }
    return settled.map((result) => (result as PromiseFulfilledResult<SseRecording<unknown>>).value);
  }

  /** Closes every stream first (else they would reconnect to the closing app), then the app. */
  async close(): Promise<void> {
    for (const stream of this.opened) stream.close();
    this.opened.clear();
    if (!this.ownsApp) return;
    // Node's fetch opens a spare, never-used connection after an aborted response
    // (nodejs/undici#5845); closing it here keeps app.close() from waiting for it.
    (this.app.getHttpServer() as { closeAllConnections?: () => void }).closeAllConnections?.();
    await this.app.close();
  }

  private forget(stream: SseRecording<unknown>): void {
    stream.close();
    this.opened.delete(stream);
  }
}

/**
 * Starts `target` for a test: a module is created and listens on a free port of 127.0.0.1; an
 * application is made to listen there unless it already does. See {@link SseTestApp}.
 *
 * @example
 * const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
 * const sse = await createSseTestApp(moduleRef.createNestApplication());
 */
export function createSseTestApp(
  target: SseTestTarget,
  options: SseTestAppOptions = {},
): Promise<SseTestApp> {
  return SseTestApp.start(target, options);
}

function isApplication(target: SseTestTarget): target is INestApplication {
  return typeof (target as Partial<INestApplication>).getHttpServer === 'function';
}

function isModule(target: SseTestTarget): boolean {
  return (
    typeof target === 'function' || typeof (target as Partial<DynamicModule>).module === 'function'
  );
}

function createApplication(
  module: Type<unknown> | DynamicModule,
  options: SseTestAppOptions,
): Promise<INestApplication> {
  const appOptions = { logger: options.logger ?? (['error', 'warn'] as LogLevel[]) };
  return options.httpAdapter
    ? NestFactory.create(module, options.httpAdapter, appOptions)
    : NestFactory.create(module, appOptions);
}

/** `app.getUrl()` names the IPv6 loopback when the app listens on `::`; 127.0.0.1 reaches it too. */
function loopbackUrl(url: string): string {
  return url.replace(/^(https?:\/\/)\[(::1?|::ffff:127\.0\.0\.1)\]/, '$1127.0.0.1');
}
