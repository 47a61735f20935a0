import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { validate } from 'class-validator';
import { SsePayloadValidationError } from '../errors/sse-payload-validation.error.js';
import type { ResolvedSseOptions, SseChannelRule } from '../interfaces/sse-options.interface.js';
import { SseMessages } from '../sse.messages.js';
import { SSE_OPTIONS } from '../sse.constants.js';

type PlainToInstance = (cls: new (...args: never[]) => object, plain: unknown) => object;

interface CompiledRule {
  readonly pattern: RegExp;
  readonly declaration: SseChannelRule;
}

/** Bound on the channel -> rule cache, so arbitrary channel names cannot grow it. */
const CACHE_SIZE = 1_000;

/**
 * The `channels` option compiled: which declaration applies to a channel, its history size, and
 * payload validation. Channels match patterns once; the result is cached (bounded).
 */
@Injectable()
export class ChannelRules implements OnModuleInit {
  private readonly rules: CompiledRule[];
  private readonly cache = new Map<string, SseChannelRule | null>();
  private readonly defaultHistorySize: number;
  private plainToInstance: PlainToInstance | undefined;

  constructor(@Inject(SSE_OPTIONS) options: ResolvedSseOptions) {
    this.rules = options.channels.map((declaration) => ({
      pattern: compilePattern(declaration.pattern),
      declaration,
    }));
    this.defaultHistorySize = options.history.size;
  }

  /** class-transformer is only needed, and only loaded, when a channel declares a payload DTO. */
  async onModuleInit(): Promise<void> {
    if (!this.rules.some((rule) => rule.declaration.payload)) return;
    try {
      const transformer = (await import('class-transformer')) as {
        plainToInstance: PlainToInstance;
      };
      this.plainToInstance = transformer.plainToInstance;
    } catch {
      throw new Error(SseMessages.classTransformerMissing());
    }
  }

  historySize(channel: string): number {
    return this.ruleFor(channel)?.historySize ?? this.defaultHistorySize;
  }

  /**
   * Validates `data` against the channel's payload DTO. Returns undefined when the channel has
   * none, so the common path does not wait a microtask.
   */
  validate(channel: string, data: unknown): Promise<void> | undefined {
    const payload = this.ruleFor(channel)?.payload;
    if (!payload) return undefined;
    return this.check(channel, payload, data);
  }

  private async check(
    channel: string,
    payload: new (...args: never[]) => object,
    data: unknown,
  ): Promise<void> {
    const instance =
      data instanceof payload
        ? data
        : (this.plainToInstance as PlainToInstance)(payload, data ?? {});
    const errors = await validate(instance, { forbidUnknownValues: true });
    if (errors.length > 0) throw new SsePayloadValidationError(channel, errors);
  }

  private ruleFor(channel: string): SseChannelRule | undefined {
    if (this.rules.length === 0) return undefined;
    let rule = this.cache.get(channel);
    if (rule === undefined) {
      rule = this.rules.find((r) => r.pattern.test(channel))?.declaration ?? null;
      if (this.cache.size >= CACHE_SIZE)
        this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(channel, rule);
    }
    return rule ?? undefined;
  }
}

/** `rooms/:room` matches one segment per `:name`; a trailing `*` matches the rest. */
export function compilePattern(pattern: string): RegExp {
  const parts = pattern.split('/').map((segment, index, all) => {
    if (segment === '*' && index === all.length - 1) return '.*';
    if (segment.startsWith(':')) return '[^/]+';
    return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('/')}$`);
}
