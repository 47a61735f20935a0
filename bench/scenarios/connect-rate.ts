import { formatCount, type Scenario } from './scenario.js';

/**
 * Connect rate: streams established per second, from the first connection attempt to the last
 * stream's complete response headers, with a bounded number of attempts in flight per client
 * process (more would overflow the listen backlog and measure SYN retransmission instead).
 */
export const connectRateScenario: Scenario = {
  id: 'connect',
  title: 'connect rate',
  metrics: [
    { key: 'connectsPerSecond', label: 'streams/s', better: 'higher', format: formatCount },
  ],
  describe: ({ connect: p, clientProcesses, openConcurrency }) =>
    `${formatCount(p.connections)} streams until headers, after ${p.warmupConnections} warm-up, ` +
    `${clientProcesses} x ${openConcurrency} in flight`,
  async run({ deployment, spec, params }) {
    const p = params.connect;
    const server = await deployment.startServer(spec);
    const clients = await deployment.startClients(params.clientProcesses);

    await clients.open(server, p.warmupConnections, params.openConcurrency);
    await server.waitForSubscribers(p.warmupConnections);
    await clients.close();
    await server.waitForSubscribers(0);

    const { startedAt, headersAt } = await clients.open(
      server,
      p.connections,
      params.openConcurrency,
    );
    await server.waitForSubscribers(p.connections);
    return {
      metrics: { connectsPerSecond: p.connections / ((headersAt - startedAt) / 1000) },
      details: { elapsedMs: headersAt - startedAt },
    };
  },
};
