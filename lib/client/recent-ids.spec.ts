import { describe, expect, it } from '@jest/globals';
import { RecentIds } from './recent-ids.js';

describe('RecentIds', () => {
  it('calls an id a replay when an earlier connection delivered it', () => {
    const ids = new RecentIds(10);
    expect(ids.isReplay('1', 1)).toBe(false);
    expect(ids.isReplay('1', 2)).toBe(true);
  });

  it('lets a connection repeat its own ids', () => {
    const ids = new RecentIds(10);
    expect(ids.isReplay('1', 1)).toBe(false);
    expect(ids.isReplay('1', 1)).toBe(false);
  });

  it('forgets the oldest id beyond its capacity, so memory stays bounded', () => {
    const ids = new RecentIds(3);
    for (const id of ['a', 'b', 'c', 'd']) ids.isReplay(id, 1);
    expect(ids.size).toBe(3);
    expect(ids.isReplay('a', 2)).toBe(false);
    expect(ids.isReplay('d', 2)).toBe(true);
  });

  it('keeps an id that was seen again young', () => {
    const ids = new RecentIds(2);
    ids.isReplay('a', 1);
    ids.isReplay('b', 1);
    ids.isReplay('a', 1);
    ids.isReplay('c', 1);
    expect(ids.isReplay('a', 2)).toBe(true);
    expect(ids.isReplay('b', 2)).toBe(false);
  });
});
