import { describe, expect, it } from '@jest/globals';
import { RedisKeys } from './redis-keys.js';

/** The part of a key Redis Cluster hashes: the first `{...}` with something inside, else all. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close <= open + 1 ? key : key.slice(open + 1, close);
}

describe('RedisKeys', () => {
  const keys = new RedisKeys('app:sse:');

  it.each(['rooms/42', 'a}b', '{x', 'x{}y', 'instances', 'ünï/côdé'])(
    'puts the keys and pub/sub channel of channel "%s" in one hash slot, under the prefix',
    (channel) => {
      const names = [keys.history(channel), keys.finished(channel), keys.channelEvents(channel)];
      expect(new Set(names).size).toBe(3);
      expect(new Set(names.map(hashTag)).size).toBe(1);
      expect(names.every((name) => name.startsWith('app:sse:'))).toBe(true);
    },
  );

  it('puts the instances list and every instance report in one hash slot', () => {
    const names = [keys.instances, keys.presence('a1b2'), keys.presence('c3d4')];
    expect(new Set(names).size).toBe(3);
    expect(new Set(names.map(hashTag))).toEqual(new Set(['instances']));
  });
});
