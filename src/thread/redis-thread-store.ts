import { createHash } from 'node:crypto';
import { diag } from '@opentelemetry/api';
import calculateSlot from 'cluster-key-slot';
import type { ChainableCommander, Cluster, ClusterOptions, Redis } from 'ioredis';
import { DEFAULT_MAX_THREAD_BYTES, encodeJsonValue, stateLabel, updatedText } from './json-state.js';
import { ThreadStoreUnavailableError } from './store-unavailable-error.js';
import { ThreadTooLargeError } from './thread-too-large-error.js';
import { RecentRenewals, renewalSlackMs } from './recent-renewals.js';
import {
  DEFAULT_THREAD_TTL_MS,
  type JsonValue,
  type ThreadChanges,
  type ThreadSnapshot,
  type ThreadStore,
} from './thread-store.js';
import { positiveInteger } from '../internal/positive.js';
import { asError } from '../internal/as-error.js';
import { withoutCredentials } from '../internal/url-credentials.js';

/** Options of {@link RedisThreadStore}. */
export interface RedisThreadStoreOptions {
  /** Redis to connect to, when no `client` or `cluster` is given. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /**
   * A Redis Cluster to connect to instead of one Redis at `url`: the URLs of some of its nodes
   * (`redis://[user:password@]host:port`, or `rediss://` for TLS), masters or replicas; one is
   * enough to find the others, more let the store start while one is down. The user name,
   * password and TLS of the first URL are used for every node. Every key of one thread is in
   * one hash slot (see the layout below), so its scripts and transactions run on one node;
   * threads spread over the masters. The store's client reads and writes on masters only,
   * follows failovers (a command to a master that went away is retried on a fresh slot map,
   * within `operationTimeoutMs`), and pipelines the commands of one event-loop turn per node.
   * While a master is down and until its replica takes over (about `cluster-node-timeout`
   * plus an election), operations on its threads reject with `ThreadStoreUnavailableError`.
   * Redis replicates asynchronously: a save is acknowledged once its master applied it, and a
   * master that dies before its replica received the save loses it in the failover (the window
   * is the replication lag). Not with `url`.
   */
  cluster?: readonly string[];
  /**
   * An ioredis client to use instead of connecting to `url` or `cluster`: a `Redis`, or a
   * `Cluster` (an ioredis Redis Cluster client); the store neither configures nor closes it.
   * It still fails fast while the client is not connected (the store does not wait on
   * ioredis' offline queue); on a `Redis`, `maxRetriesPerRequest: 0` also fails commands
   * that were in flight when the connection dropped at once, rather than at the timeout;
   * `enableAutoPipelining: true` lets a turn's loads and saves share a round trip (per node,
   * on a `Cluster`). On a `Cluster`, keep `scaleReads: 'master'` (the default): loads also
   * renew the thread's expiry, a write.
   * @default a client the store creates, owns and closes
   */
  client?: Redis | Cluster;
  /** How long a thread lives after its last activity, in ms. @default 3600000 (one hour) */
  ttlMs?: number;
  /** Prefix of every key the store writes. @default 'otel-sessions:' */
  keyPrefix?: string;
  /**
   * Largest size of one stored thread (state keys and JSON texts plus metadata JSON, in
   * UTF-8 bytes). `save` checks it against the stored thread inside the same Lua script
   * that writes, so concurrent saves from any number of processes cannot pass it; a change
   * that would is refused whole with a `ThreadTooLargeError`.
   * @default 1048576 (1 MiB)
   */
  maxThreadBytes?: number;
  /** How long to wait for a connection, and for the first one at start-up, in ms. @default 1000 */
  connectTimeoutMs?: number;
  /** How long one operation (one round trip) may take before it rejects, in ms. @default 1000 */
  operationTimeoutMs?: number;
  /**
   * Called once when Redis becomes unreachable (once per outage, not per operation). On a
   * Cluster, an outage is any time when some hash slot cannot be reached (a master down
   * before its replica takes over, say), even while threads of other slots are served.
   */
  onUnavailable?: (error: Error) => void;
  /**
   * Called once when Redis is reachable again after an outage: on a Cluster, once every hash
   * slot that failed answers again.
   */
  onAvailable?: () => void;
}

type GoneListener = (threadId: string, reason: 'expired' | 'destroyed') => void;
type Health = 'starting' | 'available' | 'unavailable';
/** A client of one Redis, or of a Redis Cluster. */
type RedisClient = Redis | Cluster;

/**
 * How many times one save is tried when other sessions keep changing the keys it updates
 * (each try computes the updates again from the values held then: one more round trip).
 */
const MAX_SAVE_ATTEMPTS = 50;
/** The save script's answer when an updated key changed since its value was read. */
const CHANGED_MEANWHILE = -2;
/** The save script's answer when it stored the save (and renewed the thread's expiry). */
const SAVED = 1;
/** A key without value, in the compare-and-set arguments; a value is `=` and its JSON text. */
const ABSENT = '-';

/** Longest pause between two reconnection attempts of the store's own client, in ms. */
const MAX_RECONNECT_DELAY_MS = 1000;
/** How often the hash slots that failed are tried again during an outage, in ms. */
const PROBE_INTERVAL_MS = 500;
/**
 * Replies of a Redis that is up but cannot serve the key now: the cluster lost a slot, a
 * failover is under way, a replica answered, the data is still loading. An outage, not a refusal.
 */
const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK|READONLY|MASTERDOWN|LOADING|NOREPLICAS)\b/;

/**
 * A thread store in Redis, shared by every process that uses the same Redis and prefix: one
 * Redis (`url`, or a `Redis` client) or a Redis Cluster (`cluster`, or a `Cluster` client).
 *
 * Layout, per thread (the `{…}` hash tag keeps its keys in one Redis Cluster slot):
 * - `<prefix>{<threadId>}:state`: a hash of state key -> JSON text;
 * - `<prefix>{<threadId>}:meta`: the metadata as JSON text. It exists for every live
 *   thread (an empty hash does not exist in Redis), so it marks that the thread is alive.
 *
 * - `<prefix>{<threadId>}:destroyed`: set by `destroy` for one TTL, so that the ID is not
 *   used again (loads answer `destroyed`, saves are dropped).
 *
 * The first two keys carry the sliding expiry (`PEXPIRE ttlMs` on every load and save, and on
 * a touch of a thread this store has not renewed for a tenth of the TTL, at most a minute).
 * Round trips: `load` is one Lua script (`EVALSHA`: the metadata, the state, and the renewed
 * expiry of a live thread, atomically); `save` is one more, writing only the changed keys (so
 * concurrent sessions of one thread that change different keys both keep their writes; same
 * key: the last save wins, except for `push` and `update`: compared and set against the value
 * held, computed again and retried when another writer changed it in between), after checking
 * the size cap against the stored thread, atomically; a save that writes nothing to an unknown thread stores nothing. `touch` is one
 * pipeline for any number of threads (on a Cluster, one `PEXPIRE` per key: a pipeline must
 * stay in one node's slots; the store's own client sends those of one node together), and
 * renews only threads that exist. The client this store makes sends the commands of one
 * event-loop turn together (ioredis's `enableAutoPipelining`): the loads and saves of a busy
 * server's sessions share round trips (one per node, on a Cluster). A `client` you pass keeps
 * its own settings.
 *
 * When Redis is unreachable, every operation rejects with a
 * {@link ThreadStoreUnavailableError} at once (or after `operationTimeoutMs` at worst),
 * `available` is `false`, `onUnavailable` is called once, and the client keeps
 * reconnecting in the background: once Redis is back, `onAvailable` is called and the
 * store works again. On a Cluster, only the operations on threads of unreachable slots
 * reject; the store tries each slot that failed again every half second (a `PEXPIRE` of a
 * key that never exists, in the slot: a write, so it goes to the slot's master, and it
 * changes nothing), and the outage ends when all of them answer. An operation that rejected
 * may still have been applied (Redis got it, the answer did not come back in time; or, on
 * a Cluster, ioredis still delivers it after the failover). `onGone` reports threads
 * destroyed through this store; expiry in Redis is not reported (that would need keyspace
 * notifications, a server setting).
 */
export class RedisThreadStore implements ThreadStore {
  /** How long a thread lives after its last activity, in ms (the `ttlMs` option): also the thread cookie's lifetime. */
  readonly ttlMs: number;
  private readonly keyPrefix: string;
  private readonly maxThreadBytes: number;
  private readonly connectTimeoutMs: number;
  private readonly operationTimeoutMs: number;
  private readonly options: RedisThreadStoreOptions;
  private readonly ownsClient: boolean;
  private readonly isCluster: boolean;
  private readonly clientReady: Promise<RedisClient>;
  private readonly listeners: GoneListener[] = [];
  private readonly detach: Array<() => void> = [];
  private health: Health = 'starting';
  /** How many times the store became available: an operation's failure counts only if none happened meanwhile. */
  private availableCount = 0;
  private everReady = false;
  /** The hash slots (always 0 on one Redis) whose last operation failed, each with a key in it to try again. */
  private readonly failing = new Map<number, string>();
  private probeTimer: NodeJS.Timeout | undefined;
  /** Whether the client got ready within `connectTimeoutMs` of the first operation. */
  private firstConnection: Promise<boolean> | undefined;
  private closing: Promise<void> | undefined;
  /** Threads whose expiry this store renewed lately (loads and saves renew it): a touch skips them. */
  private readonly renewals: RecentRenewals;

  constructor(options: RedisThreadStoreOptions = {}) {
    this.options = options;
    this.ttlMs = positiveInteger('RedisThreadStore: ttlMs', options.ttlMs ?? DEFAULT_THREAD_TTL_MS);
    this.renewals = new RecentRenewals(renewalSlackMs(this.ttlMs));
    this.keyPrefix = options.keyPrefix ?? 'otel-sessions:';
    this.maxThreadBytes = positiveInteger(
      'RedisThreadStore: maxThreadBytes',
      options.maxThreadBytes ?? DEFAULT_MAX_THREAD_BYTES,
    );
    this.connectTimeoutMs = positiveInteger('RedisThreadStore: connectTimeoutMs', options.connectTimeoutMs ?? 1000);
    this.operationTimeoutMs = positiveInteger(
      'RedisThreadStore: operationTimeoutMs',
      options.operationTimeoutMs ?? 1000,
    );
    if (options.url !== undefined && options.cluster !== undefined)
      throw new TypeError('RedisThreadStore: give url (one Redis) or cluster (the nodes of a Redis Cluster), not both');
    const clusterNodes = options.cluster && clusterStartupNodes(options.cluster);
    this.ownsClient = options.client === undefined;
    this.isCluster = options.client ? options.client.isCluster : clusterNodes !== undefined;
    this.clientReady = options.client
      ? Promise.resolve(this.watch(options.client))
      : clusterNodes
        ? this.createClusterClient(clusterNodes)
        : this.createClient(options.url ?? 'redis://127.0.0.1:6379');
    // A failed import surfaces on the first operation; never as an unhandled rejection.
    this.clientReady.catch(() => undefined);
  }

  /** Whether Redis answered lately: `false` during an outage (and before the first connection). */
  get available(): boolean {
    return this.health === 'available';
  }

  async load(threadId: string): Promise<ThreadSnapshot | undefined> {
    const { state, meta, destroyed } = this.keys(threadId);
    const sentAt = Date.now();
    const reply = (await this.run('load', meta, (client) =>
      this.evalScript(client, LOAD_SCRIPT, [state, meta, destroyed], [String(this.ttlMs)]),
    )) as [1, string, string[]] | [0, number];
    if (reply[0] === 0) return reply[1] === 1 ? { state: {}, metadata: {}, destroyed: true } : undefined;
    this.renewals.note(threadId, sentAt);
    const [, metaText, fields] = reply;
    const entries: Array<[string, JsonValue]> = [];
    for (let i = 0; i < fields.length; i += 2) {
      const key = fields[i]!;
      const value = parseStored(threadId, `state "${key}"`, fields[i + 1]!);
      if (value !== undefined) entries.push([key, value]);
    }
    const metadata = parseStored(threadId, 'metadata', metaText);
    return {
      // fromEntries defines own properties: a key named "__proto__" stays a plain key.
      state: Object.fromEntries(entries),
      metadata: metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata) ? metadata : {},
    };
  }

  async save(threadId: string, changes: ThreadChanges): Promise<void> {
    const fields: string[] = [];
    for (const [key, value] of Object.entries(changes.set))
      if (!changes.updates?.[key]) fields.push(key, encodeJsonValue(stateLabel(key), value));
    const metaText = changes.metadata ? encodeJsonValue('thread metadata', changes.metadata) : undefined;
    const updates = Object.entries(changes.updates ?? {});
    // Updates are first computed from the values the session loaded: unless another writer
    // changed one since, the script takes them at once (compare and set, in one round trip).
    const held = new Map(updates.map(([key, update]) => [key, heldArgument(update.from)]));
    const { state, meta, destroyed } = this.keys(threadId);
    for (let attempt = 1; ; attempt++) {
      const compareAndSet: string[] = [];
      for (const [key, update] of updates) {
        const from = held.get(key)!;
        const text = updatedText(key, update, from === ABSENT ? undefined : from.slice(1));
        compareAndSet.push(key, from, text === undefined ? ABSENT : `=${text}`);
      }
      const args = [
        String(this.ttlMs),
        String(this.maxThreadBytes),
        changes.cleared ? '1' : '0',
        metaText === undefined ? '0' : '1',
        metaText ?? '',
        String(changes.deleted.length),
        String(updates.length),
        ...changes.deleted,
        ...compareAndSet,
        ...fields,
      ];
      const sentAt = Date.now();
      const [outcome, bytes, conflicts] = (await this.run('save', meta, (client) =>
        this.evalScript(client, SAVE_SCRIPT, [state, meta, destroyed], args),
      )) as [number, number, string[] | undefined];
      if (outcome === -1) throw new ThreadTooLargeError(threadId, bytes, this.maxThreadBytes);
      if (outcome === SAVED) this.renewals.note(threadId, sentAt);
      if (outcome !== CHANGED_MEANWHILE) return;
      if (attempt === MAX_SAVE_ATTEMPTS)
        throw new Error(
          `otel-sessions: thread ${threadId}: ${MAX_SAVE_ATTEMPTS} saves in a row met keys that other sessions had just changed; this one was not saved`,
        );
      for (let i = 0; i + 1 < (conflicts?.length ?? 0); i += 2) held.set(conflicts![i]!, conflicts![i + 1]!);
    }
  }

  async touch(threadIds: readonly string[]): Promise<void> {
    const sentAt = Date.now();
    // Threads a load or save renewed less than the slack ago (those of the turns that marked them) are left as they are.
    const due = this.renewals.due(threadIds, sentAt);
    if (due.length === 0) return;
    await this.renew(due);
    for (const threadId of due) this.renewals.note(threadId, sentAt);
  }

  private async renew(threadIds: readonly string[]): Promise<void> {
    if (this.isCluster) {
      // A pipeline must stay in the slots of one node: each thread on its own (its two keys
      // share a slot); the store's own client still sends the commands of one node together.
      await Promise.all(
        threadIds.map((threadId) => {
          const { state, meta } = this.keys(threadId);
          return this.run('touch', meta, (client) =>
            Promise.all([client.pexpire(state, this.ttlMs), client.pexpire(meta, this.ttlMs)]),
          );
        }),
      );
      return;
    }
    await this.exec('touch', this.keys(threadIds[0]!).meta, (client) => {
      const pipeline = client.pipeline();
      for (const threadId of threadIds) {
        const { state, meta } = this.keys(threadId);
        pipeline.pexpire(state, this.ttlMs).pexpire(meta, this.ttlMs);
      }
      return pipeline;
    });
  }

  async destroy(threadId: string): Promise<boolean> {
    this.renewals.forget(threadId);
    const { state, meta, destroyed } = this.keys(threadId);
    const results = await this.exec('destroy', meta, (client) =>
      client.multi().del(meta).del(state).set(destroyed, '1', 'PX', this.ttlMs),
    );
    const existed = results[0] === 1;
    if (existed) for (const listener of this.listeners) listener(threadId, 'destroyed');
    return existed;
  }

  /** Reports threads destroyed through this store (not those that expire in Redis). */
  onGone(listener: GoneListener): void {
    this.listeners.push(listener);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    clearTimeout(this.probeTimer);
    const client = await this.clientReady.catch(() => undefined);
    for (const undo of this.detach.splice(0)) undo();
    if (!client || !this.ownsClient) return;
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  }

  private keys(threadId: string): { state: string; meta: string; destroyed: string } {
    const base = `${this.keyPrefix}{${threadId}}`;
    return { state: `${base}:state`, meta: `${base}:meta`, destroyed: `${base}:destroyed` };
  }

  private async createClient(url: string): Promise<Redis> {
    const { Redis } = await import('ioredis');
    const client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.connectTimeoutMs,
      retryStrategy: (attempt) => Math.min(100 * attempt, MAX_RECONNECT_DELAY_MS),
      connectionName: 'otel-sessions',
      // The commands of one event-loop turn (its sessions' loads and saves) go out as one
      // pipeline, in one write and one round trip.
      enableAutoPipelining: true,
    });
    return this.watch(client);
  }

  private async createClusterClient(nodes: ClusterStartupNodes): Promise<Cluster> {
    const { Cluster } = await import('ioredis');
    const client = new Cluster(nodes.addresses, {
      // Fail fast while the cluster is not connected, as with one Redis.
      enableOfflineQueue: false,
      // Per node, as with one Redis: the loads and saves of one event-loop turn share a round trip.
      enableAutoPipelining: true,
      // Loads renew the expiry (a write); replicas would also answer stale reads.
      scaleReads: 'master',
      // When every node is gone: reconnect from the start-up nodes, as often as one Redis would.
      clusterRetryStrategy: (attempt) => Math.min(100 * attempt, MAX_RECONNECT_DELAY_MS),
      // A command to a master that went away, or to a slot without master, is retried every
      // 100 ms on a fresh slot map (ioredis' defaults, written out): once a replica has taken
      // over, it reaches the new master. `operationTimeoutMs` bounds the wait.
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: this.connectTimeoutMs,
      redisOptions: { ...nodes.redisOptions, connectTimeout: this.connectTimeoutMs, connectionName: 'otel-sessions' },
      // The scripts as commands of the client: auto-pipelined by key (see evalScript).
      scripts: scriptCommands(LOAD_SCRIPT, SAVE_SCRIPT),
    });
    return this.watch(client);
  }

  /** Follows the client's connection, to report outages once and recoveries once. */
  private watch<C extends RedisClient>(client: C): C {
    const onReady = (): void => {
      this.everReady = true;
      // Ready anew (on a Cluster: every slot served, by its ready check): nothing fails now.
      this.failing.clear();
      this.markAvailable();
    };
    const onError = (error: Error): void => this.markUnavailable(error);
    const onClose = (): void => {
      if (!this.closing)
        this.markUnavailable(new Error(`connection to Redis${this.isCluster ? ' Cluster' : ''} closed`));
    };
    // A Cluster emits 'error' when no node answers, and 'close' once it has lost them all;
    // one node's trouble ('node error') shows in the operations on its slots.
    client.on('ready', onReady).on('error', onError).on('close', onClose);
    this.detach.push(() => client.off('ready', onReady).off('error', onError).off('close', onClose));
    if (client.status === 'ready') onReady();
    return client;
  }

  /** Runs one transaction or pipeline: one round trip. */
  private async exec(
    what: string,
    slotKey: string,
    build: (client: RedisClient) => ChainableCommander,
  ): Promise<unknown[]> {
    const results = await this.run(what, slotKey, (client) => build(client).exec());
    if (!results) throw new Error(`otel-sessions: Redis ${what} transaction was aborted`);
    return results.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }

  /**
   * Runs one operation on the keys of `slotKey`'s hash slot; rejects with
   * {@link ThreadStoreUnavailableError} when Redis cannot be reached, or cannot serve that slot.
   */
  private async run<T>(what: string, slotKey: string, operation: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.closing) throw new Error(`otel-sessions: thread store ${what} after close()`);
    let result: T;
    let client: RedisClient | undefined;
    const availableCount = this.availableCount;
    try {
      client = await this.connected();
      result = await withTimeout(
        operation(client),
        this.operationTimeoutMs,
        `Redis ${what} took over ${this.operationTimeoutMs} ms`,
      );
    } catch (error) {
      if (error instanceof ThreadStoreUnavailableError) throw error;
      const cause = asError(error);
      if (isRefusal(cause)) throw cause;
      if (client?.isCluster && cause.message.startsWith('MOVED ')) staleSlotMap(client as Cluster);
      // An operation sent during an outage that fails (times out) after the store recovered
      // tells of that outage, not of a new one.
      if (availableCount === this.availableCount) this.slotFailed(slotKey, cause);
      throw new ThreadStoreUnavailableError(
        `otel-sessions: thread store ${what} failed: Redis unavailable (${cause.message})`,
        { cause },
      );
    }
    this.slotWorked(slotKey);
    return result;
  }

  /**
   * Runs a script on the keys of one thread, on the node of their slot:
   * - on one Redis, by {@link evalsha};
   * - on the store's own Cluster client, as the command the store defined on it (ioredis sends
   *   it whole the first time on each connection, by hash after, and pipelines it with the
   *   other commands to the same node by its first key);
   * - on a Cluster client given by the user, by {@link evalsha} in a pipeline of its own:
   *   ioredis' automatic pipelining would group EVALSHAs by their first argument (the SHA),
   *   not by key, and refuse the batch when the keys are on several nodes (ioredis#2109).
   */
  private async evalScript(client: RedisClient, script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    if (!client.isCluster)
      return evalsha(script, (command, scriptArgument) =>
        client.call(command, scriptArgument, keys.length, ...keys, ...args),
      );
    if (this.ownsClient) {
      const command = (client as unknown as Record<string, (...args: string[]) => Promise<unknown>>)[script.name]!;
      return command.call(client, ...keys, ...args);
    }
    return evalsha(script, (command, scriptArgument) =>
      alone(client, command, [scriptArgument, keys.length, ...keys, ...args]),
    );
  }

  /** The client once it is ready; waits only at start-up, and fails fast during an outage. */
  private async connected(): Promise<RedisClient> {
    const client = await this.clientReady;
    if (client.status === 'ready') return client;
    if (client.status === 'wait') client.connect().catch(() => undefined);
    const startingUp = !this.everReady && this.health === 'starting' && client.status !== 'end';
    // One wait for all the operations of the start-up (not one listener each).
    if (startingUp && (await (this.firstConnection ??= readyWithin(client, this.connectTimeoutMs)))) return client;
    throw new ThreadStoreUnavailableError(`otel-sessions: Redis unavailable (connection ${client.status})`);
  }

  /** The hash slot that health is tracked by: the key's on a Cluster; one for all on one Redis. */
  private slotOf(key: string): number {
    // The slot function ioredis itself routes by (cluster-key-slot, one of its dependencies).
    return this.isCluster ? calculateSlot(key) : 0;
  }

  /** An operation on `key`'s slot failed for want of Redis: an outage starts, or goes on. */
  private slotFailed(key: string, error: Error): void {
    this.failing.set(this.slotOf(key), key);
    this.markUnavailable(error);
    this.scheduleProbe();
  }

  /** An operation on `key`'s slot worked: the outage ends when no other slot still fails. */
  private slotWorked(key: string): void {
    this.failing.delete(this.slotOf(key));
    if (this.failing.size === 0) this.markAvailable();
  }

  /**
   * Tries the slots that failed again, every {@link PROBE_INTERVAL_MS} while some still fail
   * and the client is connected (until then, its 'ready' event ends the outage): so that the
   * outage ends even when no thread of a failed slot is used again. The try is a `PEXPIRE` of a
   * key that never exists, in that slot: a write, so it goes to the slot's master; it changes nothing.
   */
  private scheduleProbe(): void {
    if (this.probeTimer || this.closing) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (this.closing || this.failing.size === 0) return;
    const client = await this.clientReady.catch(() => undefined);
    if (client?.status === 'ready')
      await Promise.all(
        [...this.failing.values()].map((key) =>
          this.run('probe', key, (ready) => ready.pexpire(`${key}:probe`, 1)).catch(() => undefined),
        ),
      );
    if (this.failing.size > 0) this.scheduleProbe();
  }

  private markUnavailable(error: Error): void {
    if (this.health === 'unavailable' || this.closing) return;
    this.health = 'unavailable';
    diag.warn(`otel-sessions: Redis thread store unavailable: ${error.message}`);
    this.options.onUnavailable?.(error);
  }

  private markAvailable(): void {
    if (this.health === 'available') return;
    const recovered = this.health === 'unavailable';
    this.health = 'available';
    this.availableCount++;
    if (!recovered) return;
    diag.info('otel-sessions: Redis thread store available again');
    this.options.onAvailable?.();
  }
}

/** How the store's own Cluster client reaches the nodes given as URLs. */
interface ClusterStartupNodes {
  readonly addresses: Array<{ host: string; port: number }>;
  /** The user name, password and TLS of the first URL, for every node. */
  readonly redisOptions: NonNullable<ClusterOptions['redisOptions']>;
}

/** Reads the `cluster` option: `redis://` or `rediss://` URLs, at least one. */
function clusterStartupNodes(urls: readonly string[]): ClusterStartupNodes {
  if (urls.length === 0) throw new TypeError('RedisThreadStore: cluster needs the URL of at least one node');
  const parsed = urls.map((text) => {
    const url = URL.canParse(text) ? new URL(text) : undefined;
    if (url?.protocol !== 'redis:' && url?.protocol !== 'rediss:')
      throw new TypeError(`RedisThreadStore: cluster: not a redis:// or rediss:// URL: ${withoutCredentials(text)}`);
    return url;
  });
  const first = parsed[0]!;
  return {
    addresses: parsed.map((url) => ({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port || 6379),
    })),
    redisOptions: {
      ...(first.username && { username: decodeURIComponent(first.username) }),
      ...(first.password && { password: decodeURIComponent(first.password) }),
      ...(first.protocol === 'rediss:' && { tls: {} }),
    },
  };
}

/**
 * One save, atomically: KEYS = state hash, metadata key, destroyed marker; ARGV = ttl, cap,
 * cleared (1/0), metadata given (1/0), metadata text, count of deleted keys, count of updated
 * keys, the deleted keys, then per updated key a triple (key, the value it was computed from,
 * its new value; each `-` for none or `=` and the JSON text), then state key / JSON text pairs.
 * An updated key whose held value is no longer the one it was computed from makes the
 * script write nothing and answer {-2, 0, {key, held value, …}} for those keys (the caller
 * computes again from them and retries). Then it computes the thread's size after the change
 * (keys plus HSTRLEN of the values kept, plus the new entries and the metadata length) and
 * refuses with {-1, size} when it passes the cap, writing nothing; else writes and answers
 * {1, size}. Writes to an unknown thread that set nothing store nothing ({0, 0}); so do writes
 * to a thread destroyed less than a TTL ago (its marker key exists). Lua's `#` counts bytes,
 * as the cap does. `unpack` is chunked: Lua's stack holds a few thousand values.
 */
const SAVE_SCRIPT = luaScript(
  'otelSessionsSave',
  `
local state, meta = KEYS[1], KEYS[2]
local ttl, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
local cleared, hasMeta, metaText = ARGV[3] == '1', ARGV[4] == '1', ARGV[5]
local firstDeleted = 8
local firstUpdate = firstDeleted + tonumber(ARGV[6])
local firstSet = firstUpdate + 3 * tonumber(ARGV[7])
local alive = redis.call('EXISTS', meta) == 1
if not alive and redis.call('EXISTS', KEYS[3]) == 1 then return {0, 0} end
local conflicts, updateWrites = {}, false
for i = firstUpdate, firstSet - 1, 3 do
  local held = '-'
  if alive and not cleared then
    local text = redis.call('HGET', state, ARGV[i])
    if text then held = '=' .. text end
  end
  if held ~= ARGV[i + 1] then
    conflicts[#conflicts + 1] = ARGV[i]
    conflicts[#conflicts + 1] = held
  end
  if ARGV[i + 2] ~= '-' then updateWrites = true end
end
if #conflicts > 0 then return {-2, 0, conflicts} end
if not alive then
  if firstSet > #ARGV and not hasMeta and not updateWrites then return {0, 0} end
  redis.call('DEL', state)
end
local sizes = {}
if alive and not cleared then
  for _, key in ipairs(redis.call('HKEYS', state)) do
    sizes[key] = #key + redis.call('HSTRLEN', state, key)
  end
end
for i = firstDeleted, firstUpdate - 1 do sizes[ARGV[i]] = nil end
for i = firstUpdate, firstSet - 1, 3 do
  if ARGV[i + 2] == '-' then sizes[ARGV[i]] = nil else sizes[ARGV[i]] = #ARGV[i] + #ARGV[i + 2] - 1 end
end
for i = firstSet, #ARGV, 2 do sizes[ARGV[i]] = #ARGV[i] + #ARGV[i + 1] end
local bytes = 0
for _, size in pairs(sizes) do bytes = bytes + size end
if hasMeta then bytes = bytes + #metaText
elseif alive then bytes = bytes + redis.call('STRLEN', meta)
else bytes = bytes + 2 end
if bytes > cap then return {-1, bytes} end
if cleared then redis.call('DEL', state) end
for i = firstDeleted, firstUpdate - 1, 1000 do
  redis.call('HDEL', state, unpack(ARGV, i, math.min(i + 999, firstUpdate - 1)))
end
for i = firstUpdate, firstSet - 1, 3 do
  if ARGV[i + 2] == '-' then redis.call('HDEL', state, ARGV[i])
  else redis.call('HSET', state, ARGV[i], string.sub(ARGV[i + 2], 2)) end
end
for i = firstSet, #ARGV, 1000 do
  redis.call('HSET', state, unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
if hasMeta then redis.call('SET', meta, metaText)
elseif not alive then redis.call('SET', meta, '{}') end
redis.call('PEXPIRE', state, ttl)
redis.call('PEXPIRE', meta, ttl)
return {1, bytes}
`,
);

/**
 * One load, atomically: KEYS = state hash, metadata key, destroyed marker; ARGV = ttl. A live
 * thread (its metadata key exists) answers {1, metadata text, state as key / text pairs} and
 * has its expiry renewed; any other answers {0, 1 if it was destroyed less than a TTL ago}.
 */
const LOAD_SCRIPT = luaScript(
  'otelSessionsLoad',
  `
local metaText = redis.call('GET', KEYS[2])
if not metaText then return {0, redis.call('EXISTS', KEYS[3])} end
local fields = redis.call('HGETALL', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return {1, metaText, fields}
`,
);

/** A Lua script with the SHA-1 by which Redis caches it, and its command name on the store's own Cluster client. */
interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function luaScript(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/** The scripts as ioredis defines them as commands of a client (ioredis' `scripts` option). */
function scriptCommands(...scripts: LuaScript[]): NonNullable<ClusterOptions['scripts']> {
  return Object.fromEntries(scripts.map((script) => [script.name, { lua: script.source, numberOfKeys: 3 }]));
}

/**
 * Runs a script by its hash (`send('evalsha', sha)`); sends it whole (`send('eval', source)`)
 * only when this Redis has not cached it yet.
 */
async function evalsha(
  script: LuaScript,
  send: (command: 'evalsha' | 'eval', scriptArgument: string) => Promise<unknown>,
): Promise<unknown> {
  try {
    return await send('evalsha', script.sha);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return send('eval', script.source);
  }
}

/**
 * Has a Cluster client fetch its slot map again, after a MOVED reply reached the store: ioredis
 * follows a MOVED itself, except in a pipeline whose commands got different replies (an
 * automatic pipeline to a node that lost several of its slots in a failover, say), where each
 * command rejects with its own; until the next refresh, the slots' commands would go to the
 * old node again.
 */
function staleSlotMap(client: Cluster): void {
  client.refreshSlotsCache();
}

/** Sends one command in a pipeline of its own: its reply, or its error thrown. */
async function alone(client: RedisClient, command: string, args: Array<string | number>): Promise<unknown> {
  const results = await client
    .pipeline()
    .call(command, ...args)
    .exec();
  const [error, reply] = results?.[0] ?? [new Error(`otel-sessions: Redis ${command} pipeline was aborted`)];
  if (error) throw error;
  return reply;
}

/** A value as the save script compares it: `-` for none, else `=` and its JSON text (as stored). */
function heldArgument(value: JsonValue | undefined): string {
  return value === undefined ? ABSENT : `=${JSON.stringify(value)}`;
}

/** A stored JSON text, or `undefined` (reported to diag) when someone stored something else. */
function parseStored(threadId: string, what: string, text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    diag.warn(`otel-sessions: ignoring ${what} of ${threadId} in Redis: not JSON`);
    return undefined;
  }
}

/**
 * An error Redis itself answered (a bug or a wrong key type): a refusal, not a connection
 * problem, nor one of the replies of a Redis that cannot serve the key now ({@link UNAVAILABLE_REPLY}).
 */
function isRefusal(error: Error): boolean {
  return error.name === 'ReplyError' && !UNAVAILABLE_REPLY.test(error.message);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Whether `client` becomes ready within `ms`. */
function readyWithin(client: RedisClient, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ready: boolean): void => {
      clearTimeout(timer);
      client.off('ready', onReady).off('end', onEnd);
      resolve(ready);
    };
    const onReady = (): void => done(true);
    const onEnd = (): void => done(false);
    const timer = setTimeout(() => done(false), ms);
    client.on('ready', onReady).on('end', onEnd);
  });
}
