// Opens N SSE connections with raw sockets and counts the events each receives, by event type,
// in its own process so the readers do not compete with the server under test for the event
// loop. Driven over IPC:
//   parent -> { url, count }                     child -> { type: 'ready' } once every stream is open
//   child  -> { type: 'done', counts: [...] }    once every stream has received an `end` event;
//                                                counts[i] is { [event type]: events } of reader i
import net from 'node:net';

process.once('message', ({ url, count }) => {
  const { hostname, port, pathname } = new URL(url);
  let open = 0;
  let finished = 0;
  const counts = [];
  for (let i = 0; i < count; i++) {
    const received = {};
    counts.push(received);
    let headersSeen = false;
    let partial = '';
    // The event being read: its type, and whether a data line came (only then is it dispatched).
    let type;
    let hasData = false;
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`,
      );
    });
    socket.setEncoding('latin1');
    const onLine = (line) => {
      if (line === '') {
        if (hasData) {
          const name = type ?? 'message';
          received[name] = (received[name] ?? 0) + 1;
          if (name === 'end') return end();
        }
        type = undefined;
        hasData = false;
      } else if (line.startsWith('event: ')) {
        type = line.slice('event: '.length);
      } else if (line.startsWith('data:')) {
        hasData = true;
      }
      // Anything else (id and retry fields, comments, chunk-size lines of the chunked body) is
      // not what is counted.
    };
    const end = () => {
      socket.destroy();
      if (++finished === count) process.send({ type: 'done', counts }, () => process.exit(0));
    };
    socket.on('data', (text) => {
      let body = partial + text;
      if (!headersSeen) {
        const headersEnd = body.indexOf('\r\n\r\n');
        if (headersEnd < 0) return void (partial = body);
        headersSeen = true;
        body = body.slice(headersEnd + 4);
        if (++open === count) process.send({ type: 'ready' });
      }
      const lines = body.split('\n');
      partial = lines.pop() ?? '';
      // The chunked body's own CRLFs leave a CR at the end of some lines.
      for (const line of lines) {
        if (socket.destroyed) return;
        onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
    });
    socket.on('error', (error) => {
      process.send({ type: 'error', message: String(error) }, () => process.exit(1));
    });
  }
});
