import { describe, expect, it } from '@jest/globals';
import { OwnDeliveries } from './own-deliveries.js';

describe('OwnDeliveries', () => {
  it('resolves a waiting publish with the count its event reached', async () => {
    const own = new OwnDeliveries();
    const waiting = own.wait('c', '1-0');
    own.settle('c', '1-0', 3);
    await expect(waiting).resolves.toBe(3);
    own.clear();
  });

  it('keeps a count that arrives before its publish waits for it', async () => {
    const own = new OwnDeliveries();
    own.settle('c', '1-0', 2);
    await expect(own.wait('c', '1-0')).resolves.toBe(2);
    own.clear();
  });

  it('settles every publish waiting on a channel the instance stopped listening to, and no other', async () => {
    const own = new OwnDeliveries();
    const first = own.wait('rooms/a', '1-0');
    const second = own.wait('rooms/a', '2-0');
    const other = own.wait('rooms/b', '1-0');
    own.settleChannel('rooms/a', 0);
    await expect(Promise.all([first, second])).resolves.toEqual([0, 0]);
    expect(own.pending()).toEqual([['rooms/b', '1-0']]);
    own.settle('rooms/b', '1-0', 4);
    await expect(other).resolves.toBe(4);
    own.clear();
  });

  it('tells apart the events of two channels at the same position', async () => {
    const own = new OwnDeliveries();
    // Stream ids are per channel: two publishes in one millisecond get the same one.
    const first = own.wait('rooms/1', '1-0');
    const second = own.wait('rooms/2', '1-0');
    expect(own.pending()).toEqual([
      ['rooms/1', '1-0'],
      ['rooms/2', '1-0'],
    ]);
    own.settle('rooms/2', '1-0', 2);
    own.settle('rooms/1', '1-0', 1);
    await expect(Promise.all([first, second])).resolves.toEqual([1, 2]);
    own.clear();
  });

  it('ignores a delivery nobody waits for when told it may not be ours', async () => {
    const own = new OwnDeliveries(50);
    expect(own.settleWaiting('c', '1-0', 5)).toBe(false);
    // Not kept as early: a later wait for it times out with 0.
    await expect(own.wait('c', '1-0')).resolves.toBe(0);
  });

  it('reports 0 for a publish whose event never comes back, after the timeout', async () => {
    const own = new OwnDeliveries(50);
    await expect(own.wait('c', '1-0')).resolves.toBe(0);
    expect(own.pending()).toEqual([]);
  });

  it('past its bound, resolves the oldest waiting publish with 0 and keeps the others', async () => {
    const own = new OwnDeliveries(60_000, 3);
    const waits = ['1-0', '2-0', '3-0', '4-0'].map((position) => own.wait('c', position));
    await expect(waits[0]).resolves.toBe(0);
    expect(own.pending()).toEqual([
      ['c', '2-0'],
      ['c', '3-0'],
      ['c', '4-0'],
    ]);
    own.settle('c', '4-0', 1);
    await expect(waits[3]).resolves.toBe(1);
    own.clear();
    await expect(Promise.all(waits.slice(1, 3))).resolves.toEqual([0, 0]);
  });

  it('past its bound, forgets the oldest early count', async () => {
    const own = new OwnDeliveries(50, 2);
    own.settle('c', '1-0', 1);
    own.settle('c', '2-0', 2);
    own.settle('c', '3-0', 3);
    await expect(own.wait('c', '3-0')).resolves.toBe(3);
    await expect(own.wait('c', '2-0')).resolves.toBe(2);
    await expect(own.wait('c', '1-0')).resolves.toBe(0);
  });
});
