import { describe, expect, it } from '@jest/globals';
import type { SseHealth } from '../interfaces/sse-health.interface.js';
import { checkThreshold, connectionLimit, healthProblem } from './health-verdict.js';

const healthy: SseHealth = {
  backend: { available: true },
  connections: 0,
  maxConnections: undefined,
  stopping: false,
};
const withHealth = (change: Partial<SseHealth>): SseHealth => ({ ...healthy, ...change });

describe('connectionLimit', () => {
  it.each([
    [10, 1, 10],
    [10, 0.7, 7],
    [10, 0.9, 9],
    [15, 0.9, 14],
    [3, 0.5, 2],
    [1, 0.1, 1],
  ])('is %d x %d rounded up: %d', (max, threshold, limit) => {
    expect(connectionLimit(max, threshold)).toBe(limit);
  });
});

describe('checkThreshold', () => {
  it.each([0.01, 0.5, 1])('accepts %d', (threshold) => {
    expect(() => checkThreshold(threshold)).not.toThrow();
  });

  it.each([0, -0.5, 1.5, Number.NaN, '0.5' as unknown as number])('refuses %p', (threshold) => {
    expect(() => checkThreshold(threshold)).toThrow(
      `SseHealthIndicator: connectionsThreshold must be a number above 0 and at most 1 (got ${String(threshold)})`,
    );
  });
});

describe('healthProblem', () => {
  it('finds none when the backend is available, nothing is stopping and there is no limit', () => {
    expect(healthProblem(withHealth({ connections: 1_000_000 }), 1)).toBeUndefined();
  });

  it('names shutdown first, whatever else holds', () => {
    const health = withHealth({
      stopping: true,
      backend: { available: false, reason: 'closed' },
      connections: 5,
      maxConnections: 5,
    });
    expect(healthProblem(health, 1)).toBe('SseModule is shutting down: new streams are refused');
  });

  it("names an unavailable backend with the backend's reason", () => {
    const health = withHealth({ backend: { available: false, reason: 'Redis unavailable: x' } });
    expect(healthProblem(health, 1)).toBe('SSE backend unavailable: Redis unavailable: x');
  });

  it('names an unavailable backend that gives no reason', () => {
    expect(healthProblem(withHealth({ backend: { available: false } }), 1)).toBe(
      'SSE backend unavailable',
    );
  });

  it('finds none below maxConnections', () => {
    expect(healthProblem(withHealth({ connections: 4, maxConnections: 5 }), 1)).toBeUndefined();
  });

  it('says maxConnections is reached when the streams fill it', () => {
    expect(healthProblem(withHealth({ connections: 5, maxConnections: 5 }), 1)).toBe(
      '5 live streams: maxConnections (5) reached, new streams get 503',
    );
  });

  it('says the threshold is reached at its share of maxConnections, not before', () => {
    expect(healthProblem(withHealth({ connections: 6, maxConnections: 10 }), 0.7)).toBeUndefined();
    expect(healthProblem(withHealth({ connections: 7, maxConnections: 10 }), 0.7)).toBe(
      '7 live streams reach the connectionsThreshold (7 of maxConnections 10)',
    );
  });
});
