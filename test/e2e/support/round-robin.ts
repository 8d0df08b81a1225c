// A small HTTP load balancer on loopback: each request goes to the next backend in turn, as
// a round-robin balancer in front of a service's processes sends a conversation's turns to
// any of them. Requests and answers are passed on whole (method, path, headers, body).
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOOPBACK } from './ports.js';

/** A running balancer; send requests to `url`. */
export interface RoundRobin {
  readonly url: string;
  /** Requests sent to each backend so far, in the order of `backends`. */
  readonly counts: readonly number[];
  close(): Promise<void>;
}

/** Starts a balancer on a free loopback port in front of `backends` (base URLs). */
export async function startRoundRobin(backends: readonly string[]): Promise<RoundRobin> {
  const counts = backends.map(() => 0);
  let next = 0;
  const forward = (incoming: IncomingMessage, answer: ServerResponse): void => {
    const index = next++ % backends.length;
    counts[index]!++;
    const target = new URL(incoming.url ?? '/', backends[index]);
    const outgoing = httpRequest(
      target,
      { method: incoming.method, headers: { ...incoming.headers, host: target.host } },
      (response) => {
        answer.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(answer);
      },
    );
    outgoing.on('error', (error) => {
      if (!answer.headersSent) answer.writeHead(502, { 'content-type': 'text/plain' });
      answer.end(`balancer: ${backends[index]}: ${error.message}`);
    });
    incoming.pipe(outgoing);
  };
  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${port}`,
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
