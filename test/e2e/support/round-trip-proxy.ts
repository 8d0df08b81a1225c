// A TCP proxy in front of Redis that counts round trips: each time a client starts
// sending after the server's last answer (or first) counts one. Commands written back to
// back without waiting for an answer (a pipeline, a MULTI … EXEC) are one round trip,
// however the kernel splits or joins their bytes.
import { createConnection, createServer, type Socket } from 'node:net';

/** A running proxy; point a client at `url`. */
export interface RoundTripProxy {
  readonly url: string;
  /** Round trips since start or the last `reset()`, over all connections. */
  readonly roundTrips: number;
  reset(): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port, forwarding to `127.0.0.1:<targetPort>`. */
export async function startRoundTripProxy(targetPort: number): Promise<RoundTripProxy> {
  let roundTrips = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    let clientTurn = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => {
      if (!clientTurn) roundTrips++;
      clientTurn = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      clientTurn = false;
      client.write(chunk);
    });
    client.once('end', () => upstream.end());
    upstream.once('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('proxy has no port');
  return {
    url: `redis://127.0.0.1:${address.port}`,
    get roundTrips() {
      return roundTrips;
    },
    reset() {
      roundTrips = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
