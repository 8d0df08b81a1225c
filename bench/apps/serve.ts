/**
 * Serves one variant's app (a Hono app's fetch, or a node:http listener such as an Express
 * app) on 127.0.0.1 (a free port), reports the port to the parent, and answers its `flush`
 * and `usage` (CPU time and requests served). Imported dynamically by each variant, after its telemetry (if any) is started, so
 * that `node:http` is loaded after the http instrumentation and ESM hook are in place.
 */
import { serve } from '@hono/node-server';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onParentMessage, tell } from './protocol.js';

type Fetch = (request: Request) => Response | Promise<Response>;

export interface ServeOptions {
  /** Exports every ended span and log record (answering the parent's `flush`). */
  flush?: () => Promise<void>;
}

export async function serveApp(fetch: Fetch, options: ServeOptions = {}): Promise<void> {
  await report(serve({ fetch, port: 0, hostname: '127.0.0.1' }) as Server, options);
}

/** Serves a node:http request listener (an Express app) as {@link serveApp} serves a Hono app. */
export async function serveListener(listener: RequestListener, options: ServeOptions = {}): Promise<void> {
  await report(createServer(listener).listen(0, '127.0.0.1'), options);
}

async function report(server: Server, options: ServeOptions): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  let requests = 0;
  server.on('request', () => requests++);
  onParentMessage((message) => {
    if (message.type === 'stop') {
      server.close();
      process.exit(0);
    }
    if (message.type === 'usage') {
      const { user, system } = process.cpuUsage();
      tell({ type: 'usage', id: message.id, cpuMicros: user + system, requests });
    }
    if (message.type === 'flush') {
      (options.flush ?? (() => Promise.resolve()))().then(
        () => tell({ type: 'flushed', id: message.id }),
        (error: unknown) => tell({ type: 'flushed', id: message.id, error: String(error) }),
      );
    }
  });
  tell({ type: 'ready', port: (server.address() as AddressInfo).port });
}
