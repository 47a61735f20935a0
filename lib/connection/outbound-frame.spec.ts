import { describe, expect, it } from '@jest/globals';
import {
  chunkOf,
  controlFrame,
  eventFrame,
  joinedBytes,
  targetedFrame,
  type CachedFrame,
} from './outbound-frame.js';

describe('targetedFrame', () => {
  it.each([
    ['ASCII', 'data: hello\n\n'],
    ['multi-byte UTF-8, whose byte size differs from its length', 'data: héllo ☃ 🎉\n\n'],
    ['a frame larger than the buffer pool slice', `data: ${'x'.repeat(9000)}\n\n`],
  ])('holds the frame and its HTTP/1.1 chunk in one allocation (%s)', (_, text) => {
    const frame = targetedFrame(text) as CachedFrame;
    const bytes = Buffer.from(text, 'utf8');
    expect(frame.bytes.equals(bytes)).toBe(true);
    expect(frame.isEvent).toBe(true);
    const expected = Buffer.concat([
      Buffer.from(`${bytes.length.toString(16)}\r\n`),
      bytes,
      Buffer.from('\r\n'),
    ]);
    expect(chunkOf(frame).equals(expected)).toBe(true);
    // The frame is a view into the chunk, not a second copy.
    expect(frame.bytes.buffer).toBe(chunkOf(frame).buffer);
    expect(frame.bytes.byteOffset).toBe(
      chunkOf(frame).byteOffset + `${bytes.length.toString(16)}\r\n`.length,
    );
  });
});

describe('joinedBytes', () => {
  const frames = [
    controlFrame(Buffer.from('retry: 3000\n\n')),
    eventFrame(Buffer.from('id: 1-0\ndata: é\n\n')),
    eventFrame(Buffer.from('id: 2-0\ndata: two\n\n')),
  ];
  const bytes = Buffer.concat(frames.map((frame) => frame.bytes));

  it('joins the frames in order', () => {
    expect(joinedBytes(frames, false).equals(bytes)).toBe(true);
  });

  it('frames them as one HTTP/1.1 chunk when asked', () => {
    const chunk = Buffer.concat([
      Buffer.from(`${bytes.length.toString(16)}\r\n`),
      bytes,
      Buffer.from('\r\n'),
    ]);
    expect(joinedBytes(frames, true).equals(chunk)).toBe(true);
  });
});
