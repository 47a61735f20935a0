import type { ServerResponse } from 'node:http';
import { SSE_ATTRIBUTES } from './instruments.js';
import type { MetricAttributes } from './meter.js';

/**
 * One `@SseChannel()` route as its metrics see it: its `http.route` label, the attribute
 * objects recorded with it (each made once, so recording allocates none), and the listener that
 * counts a request refused before the route ran. Its streams hold it, so open streams and
 * disconnects are counted by route with no lookup.
 */
export class RouteMetrics {
  readonly attributes: MetricAttributes;
  /**
   * Listens to the `finish` of a response whose request the route has not seen yet (see
   * `guardWatch()`): the response was sent by a guard, a pipe or an interceptor, with its
   * status. The route removes it when the request reaches it. One function for all requests.
   */
  readonly unreachedFinish: (this: ServerResponse) => void;
  private readonly variants = new Map<string, MetricAttributes>();
  /** The attribute sets open streams of this route have been counted under. */
  private readonly openSets: MetricAttributes[];

  constructor(
    readonly label: string,
    onUnreached: (route: RouteMetrics, status: number) => void,
  ) {
    this.attributes = Object.freeze({ [SSE_ATTRIBUTES.route]: label });
    this.openSets = [this.attributes];
    this.unreachedFinish = unreachedListener(this, onUnreached);
  }

  /** The attributes of its open-streams series: the route's, and those with a channel label. */
  openSeries(): readonly MetricAttributes[] {
    return this.openSets;
  }

  /** The route's attributes with a channel label, for open streams (see `openSeries()`). */
  withChannel(label: string): MetricAttributes {
    const key = `channel ${label}`;
    const known = this.variants.has(key);
    const attributes = this.with(key, () => ({ [SSE_ATTRIBUTES.channel]: label }));
    if (!known) this.openSets.push(attributes);
    return attributes;
  }

  /**
   * The route's attributes plus `key`'s own, made on first use by `extra`. Callers pass keys
   * from small fixed sets (outcome and status, close reason), which bounds the map.
   */
  with(key: string, extra: () => Readonly<Record<string, string | number>>): MetricAttributes {
    let attributes = this.variants.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze({ ...this.attributes, ...extra() });
      this.variants.set(key, attributes);
    }
    return attributes;
  }
}

/** `this` is the response whose `finish` it listens to. */
function unreachedListener(
  route: RouteMetrics,
  onUnreached: (route: RouteMetrics, status: number) => void,
): (this: ServerResponse) => void {
  return function (this: ServerResponse) {
    onUnreached(route, this.statusCode);
  };
}

/**
 * The `http.route` of an `@SseChannel()` route: its controller's path and its own, as declared
 * (`/hub/rooms/:room`). A global prefix, a version or a `RouterModule` path is not part of it:
 * the label is worked out once, at boot, the same on Express and Fastify.
 */
export function routeLabel(controllerPath: string, methodPath: string): string {
  return `/${[controllerPath, methodPath].filter((part) => part !== '').join('/')}`;
}

/**
 * Matches the request paths that end with the route's path, whatever comes before it (a global
 * prefix, a version, a `RouterModule` path): `:param` matches one segment, `*name` the rest.
 */
export function routePattern(label: string): RegExp {
  const segments = label
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      if (segment.startsWith('*') || segment.startsWith('{*')) return '.+';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    });
  return new RegExp(`(?:^|/)${segments.join('/')}/?$`);
}
