import { describe, expect, it } from '@jest/globals';
import { HistoryRing, type HistoryEntry } from './history-ring.js';

/** An entry with sequence `seq`, published at `at` (ms). */
function entry(seq: number, at = 0): HistoryEntry {
  const position = `1-${seq}`;
  return {
    seq,
    at,
    frame: { bytes: Buffer.from(`id: ${position}\ndata: ${seq}\n\n`), isEvent: true, position },
    json: false,
  };
}

/** A ring of `capacity` given the entries with these sequences (published at time 0). */
function ringOf(capacity: number, seqs: number[]): HistoryRing {
  const ring = new HistoryRing(capacity, seqs[0] ?? 1);
  for (const seq of seqs) ring.push(entry(seq));
  return ring;
}

const seqsOf = (entries: HistoryEntry[]) => entries.map((e) => e.seq);

describe('HistoryRing', () => {
  it('exposes its capacity and the sequence it was created at', () => {
    const ring = new HistoryRing(4, 7);
    expect(ring.capacity).toBe(4);
    expect(ring.createdAt).toBe(7);
    expect(ring.size).toBe(0);
    expect(ring.lostUpTo).toBe(0);
    expect(ring.newest()).toBeUndefined();
    expect(ring.last(3)).toEqual([]);
    expect(ring.after(0)).toEqual([]);
  });

  it('keeps nothing at capacity 0, but knows the newest event it lost', () => {
    const ring = ringOf(0, [3, 5]);
    expect(ring.size).toBe(0);
    expect(ring.newest()).toBeUndefined();
    expect(ring.last(10)).toEqual([]);
    expect(ring.after(0)).toEqual([]);
    expect(ring.lostUpTo).toBe(5);
  });

  it('keeps the last `capacity` entries in order when it wraps around, and records what it dropped', () => {
    const ring = ringOf(3, [1, 2, 3, 4, 5, 6, 7]);
    expect(ring.size).toBe(3);
    expect(seqsOf(ring.last(10))).toEqual([5, 6, 7]);
    expect(ring.newest()?.seq).toBe(7);
    expect(ring.lostUpTo).toBe(4);
  });

  it('returns the last n entries, oldest first', () => {
    const ring = ringOf(4, [1, 2, 3, 4, 5]);
    expect(seqsOf(ring.last(0))).toEqual([]);
    expect(seqsOf(ring.last(1))).toEqual([5]);
    expect(seqsOf(ring.last(3))).toEqual([3, 4, 5]);
    expect(seqsOf(ring.last(4))).toEqual([2, 3, 4, 5]);
    expect(seqsOf(ring.last(99))).toEqual([2, 3, 4, 5]);
  });

  it.each([
    ['before the oldest kept', 0, [30, 40, 50, 60]],
    ['at the newest dropped', 20, [30, 40, 50, 60]],
    ['at the oldest kept', 30, [40, 50, 60]],
    ['between two kept', 45, [50, 60]],
    ['just before the newest', 59, [60]],
    ['at the newest', 60, []],
    ['past the newest', 99, []],
  ])('after() a sequence %s, once wrapped', (_, seq, expected) => {
    // Sequences are process-wide, so a channel's have gaps; capacity 4 wraps after 10 and 20.
    const ring = ringOf(4, [10, 20, 30, 40, 50, 60]);
    expect(seqsOf(ring.after(seq))).toEqual(expected);
  });

  it('expire() drops the entries published before the cutoff, and records them as lost', () => {
    const ring = new HistoryRing(5, 1);
    [100, 200, 300, 400].forEach((at, i) => ring.push(entry(i + 1, at)));
    ring.expire(250);
    expect(seqsOf(ring.last(10))).toEqual([3, 4]);
    expect(ring.lostUpTo).toBe(2);
    // An entry published exactly at the cutoff stays.
    ring.expire(300);
    expect(seqsOf(ring.last(10))).toEqual([3, 4]);
    ring.expire(10_000);
    expect(ring.size).toBe(0);
    expect(ring.newest()).toBeUndefined();
    expect(ring.lostUpTo).toBe(4);
  });

  it('keeps order and bounds once entries are pushed after an expiry emptied it mid-array', () => {
    const ring = new HistoryRing(3, 1);
    [1, 2].forEach((seq) => ring.push(entry(seq, 0)));
    ring.expire(1);
    for (let seq = 3; seq <= 7; seq++) ring.push(entry(seq, 10));
    expect(seqsOf(ring.last(10))).toEqual([5, 6, 7]);
    expect(seqsOf(ring.after(5))).toEqual([6, 7]);
    expect(ring.lostUpTo).toBe(4);
  });

  it('hands out the stored entry objects, so a replay reuses their frames', () => {
    const ring = new HistoryRing(2, 1);
    const first = entry(1);
    ring.push(first);
    expect(ring.last(1)[0]).toBe(first);
    expect(ring.after(0)[0]?.frame).toBe(first.frame);
  });
});
