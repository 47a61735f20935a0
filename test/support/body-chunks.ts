import net from 'node:net';

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
    socket.setEncoding('latin1');
    socket.on('error', reject);
    socket.on('data', (text: string) => {
      received += text;
      const chunks = bodyChunks(received);
      if (chunks && done(chunks.join(''))) {
        socket.destroy();
        resolve(chunks);
      }
    });
  });
}

/** The complete chunks of a response read so far; undefined before its head is complete. */
function bodyChunks(response: string): string[] | undefined {
  const headEnd = response.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  if (!/^transfer-encoding: chunked$/im.test(response.slice(0, headEnd)))
    throw new Error(`not a chunked response: ${response.slice(0, headEnd)}`);
  const chunks: string[] = [];
  let at = headEnd + 4;
  for (;;) {
    const lineEnd = response.indexOf('\r\n', at);
    if (lineEnd < 0) return chunks;
    const size = parseInt(response.slice(at, lineEnd), 16);
    if (response.length < lineEnd + 2 + size + 2) return chunks;
    chunks.push(response.slice(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
