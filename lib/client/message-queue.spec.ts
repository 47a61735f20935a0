import { describe, expect, it } from '@jest/globals';
import { MessageQueue } from './message-queue.js';

const queueOf = (maxItems = 3, maxWeight = 100) =>
  new MessageQueue<string>(maxItems, maxWeight, (item) => item.length);

describe('MessageQueue', () => {
  it('hands out messages in order', async () => {
    const queue = queueOf();
    queue.push('a');
    queue.push('b');
    expect(await queue.take()).toEqual({ done: false, value: 'a' });
    expect(await queue.take()).toEqual({ done: false, value: 'b' });
  });

  it('resolves a waiting take with the next push', async () => {
    const queue = queueOf();
    const next = queue.take();
    queue.push('late');
    expect(await next).toEqual({ done: false, value: 'late' });
  });

  it('is full at maxItems messages or maxWeight characters', () => {
    const byCount = queueOf(2, 100);
    byCount.push('a');
    expect(byCount.isFull).toBe(false);
    byCount.push('b');
    expect(byCount.isFull).toBe(true);
    const byWeight = queueOf(100, 10);
    byWeight.push('x'.repeat(10));
    expect(byWeight.isFull).toBe(true);
  });

  it('lets the reader go on once a message is taken from a full queue', async () => {
    const queue = queueOf(1);
    queue.push('a');
    let released = false;
    const space = queue.whenNotFull().then(() => (released = true));
    await Promise.resolve();
    expect(released).toBe(false);
    await queue.take();
    await space;
    expect(released).toBe(true);
  });

  it('hands out what is left after end(), then reports done', async () => {
    const queue = queueOf();
    queue.push('a');
    queue.end();
    queue.push('ignored');
    expect(await queue.take()).toEqual({ done: false, value: 'a' });
    expect(await queue.take()).toEqual({ done: true, value: undefined });
  });

  it('throws the failure once, after what is left, then reports done', async () => {
    const queue = queueOf();
    queue.push('a');
    queue.end({ error: new Error('gone') });
    expect(await queue.take()).toEqual({ done: false, value: 'a' });
    await expect(queue.take()).rejects.toThrow('gone');
    expect(await queue.take()).toEqual({ done: true, value: undefined });
  });

  it('rejects a waiting take with the failure', async () => {
    const queue = queueOf();
    const next = queue.take();
    queue.end({ error: new Error('gone') });
    await expect(next).rejects.toThrow('gone');
  });

  it('drops waiting messages on clear() and releases the reader', async () => {
    const queue = queueOf(1);
    queue.push('a');
    const space = queue.whenNotFull();
    queue.clear();
    await space;
    expect(queue.length).toBe(0);
  });

  it('stays correct across many pushes and takes', async () => {
    const queue = queueOf(1_000, 1_000_000);
    const taken: string[] = [];
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 10; i++) queue.push(`${round}-${i}`);
      for (let i = 0; i < 7; i++) {
        const next = await queue.take();
        if (!next.done) taken.push(next.value);
      }
    }
    expect(queue.length).toBe(50 * 3);
    expect(taken.slice(0, 3)).toEqual(['0-0', '0-1', '0-2']);
    expect(taken.at(-1)).toBe('34-9');
  });
});
