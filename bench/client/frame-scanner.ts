const BLANK_LINE = Buffer.from('\n\n');
const DATA_FIELD = Buffer.from('data:');

/** Bound on an unfinished frame carried from one read to the next. */
export const MAX_PARTIAL_FRAME_BYTES = 64 * 1024;

/**
 * Counts the events in an SSE response body as it arrives, read by read, without decoding it:
 * an event is a block ending in a blank line (`\n\n`) that contains a `data:` field. Blocks
 * without one (a `retry:` preamble, a comment, a lone newline) are not events. HTTP chunk framing
 * (`<hex>\r\n ... \r\n`) needs no decoding: every server writes a whole frame per chunk, and the
 * framing contains neither `\n\n` nor `data:`.
 */
export class FrameScanner {
  /** The unfinished block at the end of the last read, copied (reads reuse one buffer). */
  private partial: Buffer | undefined;

  /** Returns the number of events completed by `chunk`. */
  feed(chunk: Buffer): number {
    const bytes = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
    let events = 0;
    let blockStart = 0;
    let nextData = bytes.indexOf(DATA_FIELD);
    for (;;) {
      const blockEnd = bytes.indexOf(BLANK_LINE, blockStart);
      if (blockEnd === -1) break;
      // `nextData` only moves forward, so a read is scanned for `data:` once in all.
      if (nextData !== -1 && nextData < blockStart)
        nextData = bytes.indexOf(DATA_FIELD, blockStart);
      if (nextData !== -1 && nextData < blockEnd) events++;
      blockStart = blockEnd + BLANK_LINE.length;
    }
    const rest = bytes.length - blockStart;
    if (rest > MAX_PARTIAL_FRAME_BYTES)
      throw new Error(`no blank line in the last ${rest} bytes of the stream`);
    this.partial = rest > 0 ? Buffer.from(bytes.subarray(blockStart)) : undefined;
    return events;
  }
}
