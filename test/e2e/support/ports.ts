/**
 * Free loopback ports for processes started by the end-to-end tests.
 */
import { createConnection, createServer, type Server } from 'node:net';

/** The loopback address every e2e process listens on. */
export const LOOPBACK = '127.0.0.1';

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Returns `count` distinct ports that were free on 127.0.0.1 a moment ago: the OS picks
 * each one (bind to port 0), and all stay bound until every one is picked, so none repeats.
 * Another process could still take one before it is used; the window is small.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnAnyPort());
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('freePorts: server has no TCP address');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** True when something accepts TCP connections on `host:port` right now. */
export function isListening(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
