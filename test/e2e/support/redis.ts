// Starts a real redis-server (Debian's, see scripts/setup-redis.sh) for the e2e tests: a
// free loopback port, no persistence, a private working folder. Killed at teardown, and
// by an exit hook as well, so that a failing or interrupted test never leaves one behind.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis, type RedisOptions } from 'ioredis';

/** A running redis-server of the tests. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Kills the server (as an outage would); `start()` brings it back on the same port, empty. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and waits until it answers PING. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open but nothing answers. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
  /** A new ioredis client to this server, disconnected at `close()`. */
  client(options?: RedisOptions): Redis;
  /** Disconnects the clients, kills the server and removes its folder. Safe to call twice. */
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
const servers = new Set<RedisServer>();
// Teardown even when a test fails before its own clean-up: a file-level hook closes every
// server this file started (and its clients, which would keep the process alive), and an
// exit hook kills any server process still running.
// Only under the test runner: a benchmark importing this file must not start a test run.
if (process.env.NODE_TEST_CONTEXT !== undefined) after(() => Promise.all([...servers].map((server) => server.close())));
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a redis-server on a free loopback port; installs it first when missing. */
export async function startRedis(): Promise<RedisServer> {
  ensureInstalled();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-redis-'));
  const clients: Redis[] = [];
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (child) return;
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ];
    const started = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    running.add(started);
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    started.once('exit', () => {
      running.delete(started);
      if (child === started) child = undefined;
    });
    await waitForPong(port, started, () => stderr);
  };

  const stop = async (): Promise<void> => {
    const stopping = child;
    if (!stopping) return;
    child = undefined;
    const exited = new Promise((resolve) => stopping.once('exit', resolve));
    stopping.kill('SIGKILL');
    await exited;
  };

  let closed: Promise<void> | undefined;
  await start();
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    client(options = {}) {
      const client = new Redis({ host: '127.0.0.1', port, ...options });
      client.on('error', () => undefined); // reconnects quietly while the server is stopped
      clients.push(client);
      return client;
    },
    close() {
      closed ??= (async () => {
        for (const client of clients) client.disconnect();
        await stop();
        rmSync(dir, { recursive: true, force: true });
        servers.delete(server);
      })();
      return closed;
    },
  };
  servers.add(server);
  return server;
}

function ensureInstalled(): void {
  if (spawnSync('redis-server', ['--version']).status === 0) return;
  const setup = spawnSync('bash', [fileURLToPath(new URL('../../../scripts/setup-redis.sh', import.meta.url))], {
    stdio: 'inherit',
  });
  if (setup.status !== 0) throw new Error('redis-server is missing and scripts/setup-redis.sh failed');
}

/** A loopback port that was free a moment ago (bound to port 0, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Waits until the server answers PING over a raw socket (10 s at most). */
async function waitForPong(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`redis-server exited at start: ${stderr()}`);
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer PING on port ${port} within 10 s: ${stderr()}`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}
