import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';

/** A Hono app served on a free loopback port. */
export interface ServedApp {
  url: string;
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function serveOnLoopback(app: Hono<any>): Promise<ServedApp> {
  const server: ServerType = await new Promise((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A client that carries the thread token from one response to the next request, as a browser would its cookie. */
export class ThreadClient {
  private token: string | undefined;

  constructor(private readonly baseUrl: string) {}

  /** The thread the last response named. */
  get threadId(): string | undefined {
    return this.token?.split('.')[0];
  }

  async post(
    path: string,
    body: unknown,
  ): Promise<{
    status: number;
    sessionId: string | null;
    threadId: string | undefined;
    json: Record<string, unknown>;
  }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token) headers['x-thread-id'] = this.token;
    const response = await fetch(this.baseUrl + path, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    this.token = response.headers.get('x-thread-id') ?? this.token;
    return {
      status: response.status,
      sessionId: response.headers.get('x-session-id'),
      threadId: this.threadId,
      json: (await response.json()) as Record<string, unknown>,
    };
  }
}
