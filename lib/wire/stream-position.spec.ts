import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  comparePositions,
  isPosition,
  MAX_STREAM_CHANNELS,
  MAX_STREAM_ID_LENGTH,
  positionBefore,
  positionsOf,
  streamIdOf,
} from './stream-position.js';

const position = fc
  .tuple(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: Number.MAX_SAFE_INTEGER }))
  .map(([ms, seq]) => `${ms}-${seq}`);

describe('stream ids', () => {
  it("is the channel's position on one channel", () => {
    expect(streamIdOf(['1733312345678-4'])).toBe('1733312345678-4');
    expect(positionsOf('1733312345678-4', 1)).toEqual(['1733312345678-4']);
  });

  it('reads back the positions of a stream on several channels, in order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(position, { minLength: 2, maxLength: MAX_STREAM_CHANNELS }),
        (positions) => {
          const id = streamIdOf(positions);
          expect(positionsOf(id, positions.length)).toEqual(positions);
          expect(id.length).toBeLessThanOrEqual(MAX_STREAM_ID_LENGTH);
          expect(id).toMatch(/^[0-9a-z.-]+$/);
        },
      ),
    );
  });

  it.each([
    ['not a position', 'row-7', 1],
    ['a position of another count of channels', 'lq4yd1qe-4.lq4yd1qf-0', 3],
    ['too large to hold exactly', '99999999999999999-1', 1],
    ['a position in capitals', 'A-1.B-2', 2],
  ])('is undefined for %s', (_, id, count) => {
    expect(positionsOf(id, count)).toBeUndefined();
  });
});

describe('positions', () => {
  it('orders positions by milliseconds, then sequence', () => {
    expect(comparePositions('10-2', '9-99')).toBeGreaterThan(0);
    expect(comparePositions('10-2', '10-10')).toBeLessThan(0);
    expect(comparePositions('10-2', '10-2')).toBe(0);
  });

  it('gives the position just before one, which orders below it and above all earlier ones', () => {
    expect(positionBefore('10-3')).toBe('10-2');
    expect(positionBefore('10-0')).toBe(`9-${Number.MAX_SAFE_INTEGER}`);
    expect(isPosition(positionBefore('10-0'))).toBe(true);
    expect(comparePositions(positionBefore('10-0'), '9-123456')).toBeGreaterThan(0);
  });
});
