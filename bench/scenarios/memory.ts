import { formatBytes, formatCount, sleep, type Scenario } from './scenario.js';

/**
 * Idle memory: the server's RSS growth per open, idle stream. The baseline is taken after a
 * warm-up (streams opened, sent a few events, closed), so code loaded and compiled on first use
 * is in both samples; each sample follows two full GCs in the server process.
 */
export const memoryScenario: Scenario = {
  id: 'memory',
  title: 'idle memory',
  metrics: [
    { key: 'rssPerConnection', label: 'RSS/connection', better: 'lower', format: formatBytes },
    { key: 'heapPerConnection', label: 'JS heap/connection', better: 'lower', format: formatBytes },
  ],
  describe: ({ memory: p }) =>
    `${formatCount(p.connections)} idle connections, (RSS - RSS after warm-up) / N, after gc()`,
  async run({ deployment, spec, params }) {
    const p = params.memory;
    const server = await deployment.startServer(spec);
    const clients = await deployment.startClients(params.clientProcesses);

    await clients.open(server, p.warmupConnections, params.openConcurrency);
    await server.waitForSubscribers(p.warmupConnections);
    await Promise.all([clients.collect(p.warmupMessages), server.publish(p.warmupMessages)]);
    await clients.close();
    await server.waitForSubscribers(0);
    const baseline = await server.memory();

    await clients.open(server, p.connections, params.openConcurrency);
    await server.waitForSubscribers(p.connections);
    await sleep(p.settleMs);
    const loaded = await server.memory();
    return {
      metrics: {
        rssPerConnection: (loaded.rss - baseline.rss) / p.connections,
        heapPerConnection: (loaded.heapUsed - baseline.heapUsed) / p.connections,
      },
      details: { baseline, loaded },
    };
  },
};
