import type { SseFetch } from '../../lib/client/index.js';

/** A fetch that reports what the client read from response bodies. */
export interface ObservedFetch {
  readonly fetch: SseFetch;
  /** Reads the client made from response bodies. */
  readonly reads: () => number;
  /** Resolves once the client has read `count` bytes from response bodies, in total. */
  readonly whenBytesRead: (count: number) => Promise<void>;
  /** Resolves once the client has made `count` reads from response bodies, in total. */
  readonly whenReads: (count: number) => Promise<void>;
}

/**
 * The global fetch, watched. With `byteByByte`, every chunk of a response body is handed on
 * one byte at a time, so the client's decoder and parser meet every possible split: inside a
 * UTF-8 sequence, between CR and LF, inside the byte order mark. (The server's own byte-by-byte
 * writes may still be merged by TCP; this makes the splits certain.)
 */
export function observedFetch({ byteByByte = false } = {}): ObservedFetch {
  let reads = 0;
  let bytes = 0;
  const waiters = new Set<() => void>();
  const observe: SseFetch = async (url, init) => {
    const response = await fetch(url, init);
    if (!response.body || response.status === 204) return response;
    const source = response.body.getReader();
    const pending: Uint8Array[] = [];
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (pending.length === 0) {
            const { done, value } = await source.read();
            if (done) return controller.close();
            if (!byteByByte) pending.push(value);
            else for (let i = 0; i < value.length; i++) pending.push(value.subarray(i, i + 1));
          }
          const chunk = pending.shift();
          if (!chunk) return;
          reads++;
          bytes += chunk.length;
          controller.enqueue(chunk);
          for (const check of waiters) check();
        },
        cancel(reason) {
          return source.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  return {
    fetch: observe,
    reads: () => reads,
    whenBytesRead: (count) => when(() => bytes >= count),
    whenReads: (count) => when(() => reads >= count),
  };

  function when(condition: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  }
}
