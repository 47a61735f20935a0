import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { validate } from 'class-validator';
import { eventSpecOf, hasPayloadClass } from '../contracts/define-sse-events.js';
import { SseEventError } from '../errors/sse-event.error.js';
import { SsePayloadValidationError } from '../errors/sse-payload-validation.error.js';
import type { ResolvedSseOptions, SseChannelRule } from '../interfaces/sse-options.interface.js';
import type { SseEventContract } from '../protocol/event-contract.js';
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
 * payload validation (one DTO for the channel, or an event contract: per event name). Channels
 * match patterns once; the result is cached (bounded).
 */
@Injectable()
export class ChannelRules implements OnModuleInit {
  private readonly rules: CompiledRule[];
  private readonly cache = new Map<string, SseChannelRule | null>();
  private readonly defaultHistorySize: number;
  private transformer: Promise<PlainToInstance> | undefined;

  constructor(@Inject(SSE_OPTIONS) options: ResolvedSseOptions) {
    this.rules = options.channels.map((declaration) => {
      if (declaration.payload && declaration.events)
        throw new Error(SseMessages.channelPayloadAndEvents(declaration.pattern));
      return { pattern: compilePattern(declaration.pattern), declaration };
    });
    this.defaultHistorySize = options.history.size;
  }

  /**
   * class-transformer is only needed, and only loaded, when a payload is a class; when the
   * `channels` option declares one, a missing package fails the boot rather than a publish.
   */
  async onModuleInit(): Promise<void> {
    const needed = this.rules.some(
      ({ declaration }) =>
        declaration.payload || (declaration.events && hasPayloadClass(declaration.events)),
    );
    if (needed) await this.loadTransformer(SseMessages.classTransformerMissing());
  }

  historySize(channel: string): number {
    return this.ruleFor(channel)?.historySize ?? this.defaultHistorySize;
  }

  /**
   * Checks a publish against the channel's rule (its payload DTO, or its contract: the event
   * must be declared, and a class payload is validated) and against `contract`, the one a typed
   * publish was made with, unless it is the channel's own. Throws at once for an undeclared
   * event; returns undefined when nothing needs validating, so the common path does not wait a
   * microtask.
   */
  validate(
    channel: string,
    event: string | undefined,
    data: unknown,
    contract?: SseEventContract,
  ): Promise<void> | undefined {
    const rule = this.ruleFor(channel);
    const name = event ?? 'message';
    let payload = rule?.payload;
    if (rule?.events) payload = this.declaredPayload(rule.events, channel, name);
    let typed: (new (...args: never[]) => object) | undefined;
    if (contract && contract !== rule?.events)
      typed = this.declaredPayload(contract, channel, name);
    if (!payload && !typed) return undefined;
    return this.checkAll(channel, data, payload, typed);
  }

  /**
   * The class `contract` declares for `event`, if any; throws if it does not declare the event.
   */
  private declaredPayload(
    contract: SseEventContract,
    channel: string,
    event: string,
  ): (new (...args: never[]) => object) | undefined {
    const spec = eventSpecOf(contract, event);
    if (spec === undefined)
      throw new SseEventError(
        SseMessages.eventNotInContract(
          `publish to "${channel}"`,
          event,
          Object.keys(contract.events),
        ),
        'event',
      );
    return typeof spec === 'function' ? (spec as new (...args: never[]) => object) : undefined;
  }

  private async checkAll(
    channel: string,
    data: unknown,
    payload: (new (...args: never[]) => object) | undefined,
    typed: (new (...args: never[]) => object) | undefined,
  ): Promise<void> {
    if (payload) await this.check(channel, payload, data);
    if (typed && typed !== payload) await this.check(channel, typed, data);
  }

  private async check(
    channel: string,
    payload: new (...args: never[]) => object,
    data: unknown,
  ): Promise<void> {
    const instance =
      data instanceof payload
        ? data
        : (await this.loadTransformer(SseMessages.contractNeedsClassTransformer()))(
            payload,
            data ?? {},
          );
    const errors = await validate(instance, { forbidUnknownValues: true });
    if (errors.length > 0) throw new SsePayloadValidationError(channel, errors);
  }

  /** Loads class-transformer once; `missing` is the error's message when it is not installed. */
  private loadTransformer(missing: string): Promise<PlainToInstance> {
    this.transformer ??= import('class-transformer').then(
      (transformer) => (transformer as { plainToInstance: PlainToInstance }).plainToInstance,
      () => {
        this.transformer = undefined;
        throw new Error(missing);
      },
    );
    return this.transformer;
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
