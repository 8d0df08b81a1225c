// Starts a real redis-server (Debian's, see scripts/setup-redis.sh) for the e2e tests: a
// free loopback port, no persistence, a private working folder; or a Redis Cluster of six
// of them (three masters, three replicas). Killed at teardown, and by exit and signal hooks
// as well, so that a failing or interrupted test never leaves one behind.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { RedisThreadStore, type RedisThreadStoreOptions } from '../../../src/thread/redis-thread-store.js';
import { freePorts } from './ports.js';
import { atTestProcessEnd } from './processes.js';

/** A running redis-server of the tests. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Whether the server process runs (it was not stopped, or was started again). */
  readonly running: boolean;
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

/** A master of a cluster, with the slot ranges it serves (first and last slot of each). */
export interface ClusterMaster {
  readonly node: RedisServer;
  readonly slots: Array<[number, number]>;
}

/** A running Redis Cluster of the tests: three masters, each with one replica, on loopback. */
export interface RedisCluster {
  /** `redis://127.0.0.1:<port>` of every node, in `nodes` order. */
  readonly urls: string[];
  /**
   * The six nodes; which are masters changes with failovers (see `masters()`). A node stopped
   * and started again rejoins the cluster (its nodes-<port>.conf stays), empty.
   */
  readonly nodes: RedisServer[];
  /** The nodes serving slots as masters now, with their slot ranges, as a running node sees it (CLUSTER SLOTS). */
  masters(): Promise<ClusterMaster[]>;
  /** The node serving `key`'s hash slot as master now. */
  masterOf(key: string): Promise<RedisServer>;
  /**
   * Waits until every running node says `cluster_state:ok` with all 16,384 slots served, and
   * every running replica's link to its master is up (so that a failover can promote it).
   */
  waitUntilOk(timeoutMs?: number): Promise<void>;
  /** A new ioredis Cluster client of these nodes, disconnected at `close()`. */
  client(options?: ClusterOptions): Cluster;
  /** Disconnects the clients, kills every node and removes their folders. Safe to call twice. */
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
/** The working folders of the servers not closed yet. */
const folders = new Set<string>();
const closers = new Set<{ close(): Promise<void> }>();
// Teardown even when a test fails before its own clean-up: a file-level hook closes every
// server and cluster this file started (and their clients, which would keep the process
// alive); exit and signal hooks kill any server process still running, and remove its folder.
// Only under the test runner: a benchmark importing this file must not start a test run.
if (process.env.NODE_TEST_CONTEXT !== undefined) after(() => Promise.all([...closers].map((server) => server.close())));
atTestProcessEnd(killAllNow);

function killAllNow(): void {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
}

/** Starts a redis-server on a free loopback port; installs it first when missing. */
export async function startRedis(): Promise<RedisServer> {
  ensureInstalled();
  const [port] = await freePorts(1);
  return startServer(port!, () => []);
}

/**
 * Starts a Redis Cluster on loopback: six redis-servers in cluster mode (each on a free port,
 * in its own folder, with `cluster-node-timeout` 1000 ms, so that a failover takes a few
 * seconds), joined by `redis-cli --cluster create` as three masters with one replica each;
 * resolves once every node says the cluster is ok.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  ensureInstalled();
  // A node's cluster bus listens on a port of its own: its port + 10000 unless set, which may
  // be taken or above 65535; so both are picked free.
  const free = await freePorts(12);
  const ports = free.slice(0, 6);
  const busPorts = new Map(ports.map((port, n) => [port, free[6 + n]!]));
  const clusterArgs = (dir: string, port: number): string[] => [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--cluster-port',
    String(busPorts.get(port)),
    '--cluster-node-timeout',
    '1000',
  ];
  const nodes: RedisServer[] = [];
  const clients: Cluster[] = [];
  let closed: Promise<void> | undefined;
  const cluster: RedisCluster = {
    urls: ports.map((port) => `redis://127.0.0.1:${port}`),
    nodes,
    masters: () => clusterMasters(nodes),
    async masterOf(key) {
      const live = liveNode(nodes);
      const slot = Number(await command(live.port, 'CLUSTER', 'KEYSLOT', key));
      const masters = await clusterMasters(nodes);
      const owner = masters.find((master) => master.slots.some(([from, to]) => slot >= from && slot <= to));
      if (!owner) throw new Error(`no master serves slot ${slot} (of ${key})`);
      return owner.node;
    },
    waitUntilOk: (timeoutMs = 30_000) => waitUntilClusterOk(nodes, timeoutMs),
    client(options = {}) {
      const client = new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        options,
      );
      client.on('error', () => undefined); // reconnects quietly while nodes are stopped
      clients.push(client);
      return client;
    },
    close() {
      closed ??= (async () => {
        for (const client of clients) client.disconnect();
        await Promise.all(nodes.map((node) => node.close()));
        closers.delete(cluster);
      })();
      return closed;
    },
  };
  closers.add(cluster);
  try {
    nodes.push(...(await Promise.all(ports.map((port) => startServer(port, clusterArgs)))));
    // The nodes are closed by the cluster, not each on its own.
    for (const node of nodes) closers.delete(node);
    await promisify(execFile)(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes'],
      { timeout: 30_000 },
    );
    await cluster.waitUntilOk();
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

/** Starts one redis-server on `port`, with the common settings and `extraArgs(dir, port)`. */
async function startServer(port: number, extraArgs: (dir: string, port: number) => string[]): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-redis-'));
  folders.add(dir);
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
      ...extraArgs(dir, port),
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
    get running() {
      return child !== undefined;
    },
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
        folders.delete(dir);
        closers.delete(server);
      })();
      return closed;
    },
  };
  closers.add(server);
  return server;
}

/** The masters serving slots now, from CLUSTER SLOTS of a running node. */
async function clusterMasters(nodes: RedisServer[]): Promise<ClusterMaster[]> {
  const ranges = (await command(liveNode(nodes).port, 'CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
  const masters = new Map<RedisServer, Array<[number, number]>>();
  for (const [from, to, [, port]] of ranges) {
    const node = nodes.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`CLUSTER SLOTS names an unknown node, port ${port}`);
    masters.set(node, [...(masters.get(node) ?? []), [from, to]]);
  }
  return [...masters].map(([node, slots]) => ({ node, slots }));
}

/** The first node whose process runs (not stopped). */
function liveNode(nodes: RedisServer[]): RedisServer {
  const node = nodes.find((candidate) => candidate.running);
  if (!node) throw new Error('no node of the cluster is running');
  return node;
}

/** Waits until the running nodes all see the cluster ok and every running replica is linked to its master. */
async function waitUntilClusterOk(nodes: RedisServer[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await Promise.all(nodes.filter((node) => node.running).map(nodeTrouble))).filter(Boolean).join('; ');
    if (last === '') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the Redis Cluster was not ok within ${timeoutMs} ms: ${last}`);
}

/** What keeps one node from being ok: '' when nothing does. */
async function nodeTrouble(node: RedisServer): Promise<string> {
  try {
    const info = String(await command(node.port, 'CLUSTER', 'INFO'));
    if (!/^cluster_state:ok\r?$/m.test(info)) return `${node.port}: cluster_state not ok`;
    if (!/^cluster_slots_ok:16384\r?$/m.test(info)) return `${node.port}: not every slot ok`;
    const replication = String(await command(node.port, 'INFO', 'replication'));
    if (/^role:slave\r?$/m.test(replication) && !/^master_link_status:up\r?$/m.test(replication))
      return `${node.port}: replica not linked to its master`;
    return '';
  } catch (error) {
    return `${node.port}: ${(error as Error).message}`;
  }
}

/** One command to one node, on a connection of its own (closed after the reply). */
async function command(port: number, name: string, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: 2000,
  });
  client.on('error', () => undefined);
  try {
    return await client.call(name, ...args);
  } finally {
    client.disconnect();
  }
}

function ensureInstalled(): void {
  if (spawnSync('redis-server', ['--version']).status === 0) return;
  const setup = spawnSync('bash', [fileURLToPath(new URL('../../../scripts/setup-redis.sh', import.meta.url))], {
    stdio: 'inherit',
  });
  if (setup.status !== 0) throw new Error('redis-server is missing and scripts/setup-redis.sh failed');
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

/**
 * A test file's RedisThreadStores: `newStore` makes one with `base()` (the server's URL or the
 * cluster's nodes) and the given options; `closeStores` closes every one made.
 */
export function storesOn(base: () => RedisThreadStoreOptions): {
  newStore(options?: RedisThreadStoreOptions): RedisThreadStore;
  closeStores(): Promise<void>;
} {
  const made: RedisThreadStore[] = [];
  return {
    newStore(options = {}) {
      const store = new RedisThreadStore({ ...base(), ...options });
      made.push(store);
      return store;
    },
    async closeStores() {
      await Promise.all(made.map((store) => store.close()));
    },
  };
}
