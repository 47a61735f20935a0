// Opens N SSE connections with raw sockets and counts what arrives, in its own process so the
// readers do not compete with the server under test for the event loop. Driven over IPC:
//   parent -> { url, count }            child -> { type: 'ready' } once every stream is open
//   child  -> { type: 'done', ... }     once every stream has seen the `event: end` marker
import net from 'node:net';

const MARKER = 'event: end\n';

process.once('message', ({ url, count }) => {
  const { hostname, port, pathname } = new URL(url);
  let open = 0;
  let finished = 0;
  const bytes = [];
  for (let i = 0; i < count; i++) {
    bytes.push(0);
    let tail = '';
    let headersSeen = false;
    let ended = false;
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`,
      );
    });
    socket.setEncoding('latin1');
    socket.on('data', (text) => {
      bytes[i] += text.length;
      if (!headersSeen && (tail + text).includes('\r\n\r\n')) {
        headersSeen = true;
        if (++open === count) process.send({ type: 'ready' });
      }
      const window = tail + text;
      if (!ended && window.includes(MARKER)) {
        ended = true;
        socket.destroy();
        if (++finished === count) {
          process.send(
            { type: 'done', minBytes: Math.min(...bytes), maxBytes: Math.max(...bytes) },
            () => process.exit(0),
          );
        }
      }
      tail = window.slice(-MARKER.length);
    });
    socket.on('error', (error) => {
      process.send({ type: 'error', message: String(error) }, () => process.exit(1));
    });
  }
});
