import { describe, expect, it } from '@jest/globals';
import { reconnectDelay } from './backoff.js';

const backoff = { factor: 2, maxMs: 1_000, jitter: 0.5 };
const noJitter = { ...backoff, jitter: 0 };

describe('reconnectDelay', () => {
  it('waits the base delay on the first attempt', () => {
    expect(reconnectDelay(100, 1, noJitter)).toBe(100);
  });

  it('multiplies the delay by the factor for each further failed attempt', () => {
    expect([1, 2, 3, 4].map((attempt) => reconnectDelay(100, attempt, noJitter))).toEqual([
      100, 200, 400, 800,
    ]);
  });

  it('stops growing at maxMs, even after very many attempts', () => {
    expect(reconnectDelay(100, 5, noJitter)).toBe(1_000);
    expect(reconnectDelay(100, 5_000, noJitter)).toBe(1_000);
  });

  it('never waits less than the base, even when it exceeds maxMs', () => {
    expect(reconnectDelay(5_000, 3, noJitter)).toBe(5_000);
  });

  it('only ever adds jitter, up to jitter x the delay', () => {
    expect(reconnectDelay(100, 1, backoff, () => 0)).toBe(100);
    expect(reconnectDelay(100, 1, backoff, () => 0.999_999)).toBe(150);
    expect(reconnectDelay(1_000, 9, backoff, () => 0.5)).toBe(1_250);
  });

  it('waits the same delay every time without backoff', () => {
    expect(reconnectDelay(100, 1, false)).toBe(100);
    expect(reconnectDelay(100, 10, false)).toBe(100);
  });
});
