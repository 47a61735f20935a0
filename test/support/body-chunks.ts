import net from 'node:net';

/** The chunks of a chunked HTTP/1.1 body read so far, and whether its last chunk came. */
interface ParsedChunks {
  readonly chunks: string[];
  readonly ended: boolean;
}

/**
 * The complete chunks at the start of a chunked HTTP/1.1 body (`body` after the head), with
 * their framing checked: a bad size line, or a chunk not followed by CRLF, throws.
 */
export function parseChunks(body: string): ParsedChunks {
  const chunks: string[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) return { chunks, ended: false };
    const size = parseInt(body.slice(at, lineEnd), 16);
    if (Number.isNaN(size))
      throw new Error(`bad chunk header in ${JSON.stringify(body.slice(at, at + 40))}`);
    if (size === 0) return { chunks, ended: true };
    const end = lineEnd + 2 + size;
    if (body.length < end + 2) return { chunks, ended: false };
    if (body.slice(end, end + 2) !== '\r\n') throw new Error('chunk not followed by CRLF');
    chunks.push(body.slice(lineEnd + 2, end));
    at = end + 2;
  }
}

/** A whole chunked body, its framing checked and removed. */
export function dechunk(body: string): string {
  const { chunks, ended } = parseChunks(body);
  if (!ended) throw new Error('chunked body without its last chunk');
  return chunks.join('');
}

/**
 * The chunks of a chunked HTTP/1.1 response body as they came over the socket, read with a raw
 * socket (no HTTP client merging them) until `done` holds for the body read so far.
 */
export function readBodyChunks(
  url: string,
  headers: Record<string, string>,
  done: (body: string) => boolean,
): Promise<string[]> {
  const { hostname, port, pathname, search } = new URL(url);
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = net.connect(Number(port), hostname, () =>
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}\r\n${lines.join('')}\r\n`,
      ),
    );
    const fail = (error: unknown): void => {
      socket.destroy();
      reject(error);
    };
    socket.setEncoding('latin1');
    socket.on('error', fail);
    socket.on('data', (text: string) => {
      received += text;
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      try {
        const head = received.slice(0, headEnd);
        if (!/^transfer-encoding: chunked$/im.test(head))
          throw new Error(`not a chunked response: ${head}`);
        const { chunks } = parseChunks(received.slice(headEnd + 4));
        if (!done(chunks.join(''))) return;
        socket.destroy();
        resolve(chunks);
      } catch (error) {
        // Thrown in a socket listener, it would be uncaught: the test gets it instead.
        fail(error);
      }
    });
  });
}
