import { describe, expect, it } from '@jest/globals';
import type { BusMessage } from './bus-message.js';
import { HeldMessages } from './held-messages.js';

const event = (channel: string, position: string): BusMessage => ({
  kind: 'event',
  channel,
  position,
  exclude: [],
  conflateKey: '',
  origin: 'i',
  frame: Buffer.from('data: x\n\n'),
});

describe('HeldMessages', () => {
  it('keeps messages in arrival order while they fit the bound', () => {
    const held = new HeldMessages(100, () => true);
    expect(held.hold(event('a', '1-0'), 50)).toBe(true);
    expect(held.hold(event('b', '2-0'), 50)).toBe(true);
    expect(held.hasOverflowed).toBe(false);
    expect(held.take().map((m) => (m.kind === 'event' ? m.position : m.kind))).toEqual([
      '1-0',
      '2-0',
    ]);
    expect(held.take()).toEqual([]);
  });

  it('keeps nothing more once one message did not fit, and names the channels that lost events', () => {
    const held = new HeldMessages(100, () => true);
    held.hold(event('a', '1-0'), 60);
    expect(held.hold(event('b', '2-0'), 60)).toBe(false);
    // It would fit now, but it must not overtake the dropped one.
    expect(held.hold(event('c', '3-0'), 1)).toBe(false);
    expect(held.hasOverflowed).toBe(true);
    expect([...(held.dropped() as Set<string>)]).toEqual(['b', 'c']);
    expect(held.take()).toHaveLength(1);
  });

  it('reports every channel as affected past 10,000 channels with dropped events', () => {
    const held = new HeldMessages(0, () => true);
    for (let i = 0; i <= 10_000; i++) held.hold(event(`c${i}`, `${i}-0`), 1);
    expect(held.dropped()).toBe('all');
  });

  it('names only the channels it is told are local, however many others lost events', () => {
    const held = new HeldMessages(0, (channel) => channel === 'here');
    for (let i = 0; i <= 10_000; i++) held.hold(event(`c${i}`, `${i}-0`), 1);
    held.hold(event('here', '10001-0'), 1);
    expect([...(held.dropped() as Set<string>)]).toEqual(['here']);
  });
});
