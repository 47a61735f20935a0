import { describe, expect, it } from '@jest/globals';
import { keySlot } from './key-slot.js';

describe('keySlot', () => {
  // Values Redis's CLUSTER KEYSLOT gives (test/redis-cluster.e2e-spec.ts asks a real node for more).
  it.each([
    ['123456789', 12739],
    ['foo', 12182],
    ['hello', 866],
    ['somekey', 11058],
  ])('hashes "%s" to slot %d', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });

  it('hashes only the first non-empty hash tag', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    // An empty first tag: the whole key is hashed.
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
  });
});
