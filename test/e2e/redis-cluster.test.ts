/**
 * RedisThreadStore on a real Redis Cluster: six redis-servers on loopback (three masters, one
 * replica each, cluster-node-timeout 1000 ms), started by support/redis.ts. The store contract
 * holds on it, with the store's own client and with a Cluster client given to it; threads
 * spread over the masters with each thread's keys in one slot; the environment's
 * OTEL_SESSIONS_REDIS_CLUSTER makes a store on it; an outage of the whole cluster is reported
 * once and recovered from; and a master killed in the middle of conversations fails over to
 * its replica without losing any acknowledged turn.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { runtimeFromSettings } from '../../src/runtime/runtime.js';
import { Environment, settleSettings } from '../../src/runtime/settings.js';
import calculateSlot from 'cluster-key-slot';
import { RedisThreadStore } from '../../src/thread/redis-thread-store.js';
import { ThreadStoreUnavailableError } from '../../src/thread/store-unavailable-error.js';
import { ThreadState } from '../../src/thread/thread-state.js';
import { changes, threadStoreContract } from '../unit/thread/support/thread-store-contract.js';
import { startRedisCluster, storesOn, type RedisCluster, type RedisServer } from './support/redis.js';

let cluster: RedisCluster;
let sequence = 0;
/** Stores on the test cluster, closed after the tests. */
const { newStore, closeStores } = storesOn(() => ({ cluster: cluster.urls }));

function newThreadId(): string {
  return `thrd_cluster${++sequence}x${Date.now().toString(36)}`;
}

/** A connection to one node alone (not the cluster), closed at the end of the file with the cluster. */
function nodeClient(node: RedisServer): Redis {
  return node.client({ maxRetriesPerRequest: 0 });
}

before(async () => {
  const started = performance.now();
  cluster = await startRedisCluster();
  // Printed, not asserted: the start-up time varies with the machine's load.
  console.log(`# Redis Cluster of 6 nodes ready in ${(performance.now() - started).toFixed(0)} ms`);
});

after(async () => {
  await closeStores();
  await cluster?.close();
});

describe("RedisThreadStore on a real Redis Cluster, with the store's own client", () => {
  threadStoreContract(({ maxThreadBytes }) => new RedisThreadStore({ cluster: cluster.urls, maxThreadBytes }));
});

describe('RedisThreadStore on a real Redis Cluster, with an ioredis Cluster client given to it (auto-pipelining on)', () => {
  // Auto-pipelining on a Cluster groups EVALSHAs by their SHA, not their keys (ioredis#2109):
  // the store sends its scripts to such a client in pipelines of their own.
  threadStoreContract(
    ({ maxThreadBytes }) =>
      new RedisThreadStore({ client: cluster.client({ enableAutoPipelining: true }), maxThreadBytes }),
  );
});

describe('RedisThreadStore on a real Redis Cluster', () => {
  test("200 threads spread over the 3 masters; each thread's keys are in one slot, on one master", async (t) => {
    const keyPrefix = `spread${++sequence}:`;
    const store = newStore({ keyPrefix });
    const ids = Array.from({ length: 200 }, () => newThreadId());
    // All at once: the store's client pipelines them per node.
    await Promise.all(ids.map((id, n) => store.save(id, changes({ set: { n }, metadata: { n } }))));

    const masters = await cluster.masters();
    assert.equal(masters.length, 3);
    const held = new Map<string, number>(); // key -> port of the master holding it
    for (const { node } of masters) {
      const client = nodeClient(node);
      for (const key of await client.keys(`${keyPrefix}*`)) held.set(key, node.port);
    }
    const threadsPerMaster = masters.map(({ node }) =>
      ids.filter((id) => held.get(`${keyPrefix}{${id}}:meta`) === node.port),
    );
    t.diagnostic(`threads per master: ${threadsPerMaster.map((threads) => threads.length).join(', ')}`);
    for (const threads of threadsPerMaster)
      assert.ok(threads.length >= 30, 'every master holds a share of the threads');
    assert.equal(held.size, 400, 'state and metadata of each of the 200 threads, nothing else');

    const admin = nodeClient(cluster.nodes[0]!);
    for (const id of ids) {
      const keys = ['state', 'meta', 'destroyed'].map((suffix) => `${keyPrefix}{${id}}:${suffix}`);
      const slots = await Promise.all(keys.map(async (key) => Number(await admin.cluster('KEYSLOT', key))));
      assert.deepEqual(new Set(slots).size, 1, `the keys of ${id} share a slot`);
      assert.equal(calculateSlot(keys[0]!), slots[0], "the slot the store tracks a key's health by is the cluster's");
      assert.equal(held.get(keys[0]!), held.get(keys[1]!), `the keys of ${id} are on one master`);
    }

    // Every operation over threads of all masters at once: loads, a touch of all 200 (no
    // pipeline across slots), destroys (a MULTI on the 3 keys of one slot).
    const loaded = await Promise.all(ids.map((id) => store.load(id)));
    assert.deepEqual(
      loaded.map((snapshot) => snapshot?.state['n']),
      ids.map((_, n) => n),
    );
    const cluster0 = cluster.client();
    await cluster0.pexpire(`${keyPrefix}{${ids[0]}}:meta`, 60_000);
    // Through another store: this one's loads just renewed the threads, so its touch would leave them.
    await newStore({ keyPrefix }).touch(ids);
    const ttls = await Promise.all(ids.map((id) => cluster0.pttl(`${keyPrefix}{${id}}:meta`)));
    assert.ok(
      ttls.every((ttl) => ttl > 60_000),
      'touch renewed every thread, on every master',
    );
    const destroyed = await Promise.all(ids.slice(0, 30).map((id) => store.destroy(id)));
    assert.ok(destroyed.every(Boolean));
    assert.equal((await store.load(ids[0]!))?.destroyed, true);
  });

  test('OTEL_SESSIONS_REDIS_CLUSTER makes the runtime keep threads in the cluster', async () => {
    const settings = settleSettings(
      { logToConsole: false },
      new Environment({ OTEL_SESSIONS_REDIS_CLUSTER: cluster.urls.slice(0, 2).join(', ') }),
    );
    const runtime = runtimeFromSettings(settings);
    try {
      assert.ok(runtime.threadStore instanceof RedisThreadStore);
      const id = newThreadId();
      await runtime.threadStore.save(id, changes({ set: { from: 'env' } }));
      const master = await cluster.masterOf(`otel-sessions:{${id}}:state`);
      assert.equal(await nodeClient(master).hget(`otel-sessions:{${id}}:state`, 'from'), '"env"');
    } finally {
      await runtime.threadStore.close();
    }
  });

  test('a cluster store whose nodes are all down from the start rejects within the connect timeout, reported once', async () => {
    const events: string[] = [];
    const store = newStore({
      cluster: ['redis://127.0.0.1:1', 'redis://127.0.0.1:2'],
      connectTimeoutMs: 300,
      onUnavailable: (error) => events.push(error.message),
    });
    const started = performance.now();
    await assert.rejects(store.load(newThreadId()), ThreadStoreUnavailableError);
    assert.ok(performance.now() - started < 1000);
    await assert.rejects(store.save(newThreadId(), changes({ set: { a: 1 } })), ThreadStoreUnavailableError);
    assert.equal(store.available, false);
    assert.equal(events.length, 1, JSON.stringify(events));
  });

  test('the whole cluster down: operations reject fast, the outage is reported once, and the same store recovers when the nodes return', async (t) => {
    const events: string[] = [];
    const store = newStore({
      onUnavailable: (error) => events.push(`down: ${error.message}`),
      onAvailable: () => events.push('up'),
    });
    const id = newThreadId();
    await store.save(id, changes({ set: { a: 1 } }));
    assert.equal(store.available, true);

    await Promise.all(cluster.nodes.map((node) => node.stop()));
    let slowest = 0;
    for (let attempt = 0; attempt < 20; attempt++) {
      const started = performance.now();
      await assert.rejects(
        attempt % 2 ? store.load(id) : store.save(id, changes({ set: { b: 2 } })),
        ThreadStoreUnavailableError,
      );
      slowest = Math.max(slowest, performance.now() - started);
      await sleep(50);
    }
    await assert.rejects(store.touch([id, newThreadId()]), ThreadStoreUnavailableError);
    t.diagnostic(`slowest rejection while the cluster was down: ${slowest.toFixed(1)} ms`);
    assert.ok(slowest < 1100, `rejections are fast (slowest ${slowest} ms)`);
    assert.equal(store.available, false);
    assert.equal(events.length, 1, `one report per outage: ${JSON.stringify(events)}`);

    // The nodes come back with their cluster configuration (nodes-<port>.conf) but no data.
    const restarted = performance.now();
    await Promise.all(cluster.nodes.map((node) => node.start()));
    await cluster.waitUntilOk();
    t.diagnostic(`cluster ok ${(performance.now() - restarted).toFixed(0)} ms after the nodes restarted`);
    while (!store.available && performance.now() - restarted < 10_000) await sleep(20);
    t.diagnostic(`store available ${(performance.now() - restarted).toFixed(0)} ms after the nodes restarted`);
    assert.equal(store.available, true);
    assert.equal(await store.load(id), undefined, 'the cluster came back empty (no persistence)');
    await store.save(id, changes({ set: { c: 3 } }));
    assert.deepEqual((await store.load(id))?.state, { c: 3 });
    assert.deepEqual(events.slice(1), ['up']);
  });

  test('a master killed (SIGKILL) in the middle of conversations: its replica takes over, turns go on, no acknowledged turn is lost, the outage is reported once', async (t) => {
    const events: string[] = [];
    const startedAt = performance.now();
    const at = (): string => `${(performance.now() - startedAt).toFixed(0)} ms`;
    const store = newStore({
      onUnavailable: (error) => events.push(`down at ${at()}: ${error.message}`),
      onAvailable: () => events.push(`up at ${at()}`),
    });
    // 12 conversations, some on each master.
    const ids = Array.from({ length: 12 }, () => newThreadId());
    const victim = await cluster.masterOf(`otel-sessions:{${ids[0]}}:meta`);
    const onVictim = new Set<string>();
    for (const id of ids) if ((await cluster.masterOf(`otel-sessions:{${id}}:meta`)) === victim) onVictim.add(id);

    /** Per thread: turns whose save resolved (acknowledged), and turns whose load or save rejected. */
    const acknowledged = new Map(ids.map((id) => [id, [] as number[]]));
    const failedSaves = new Map(ids.map((id) => [id, [] as number[]]));
    const failures = new Map<string, number>();
    let failedTurns = 0;
    /** When turns on the killed master's threads were acknowledged or failed. */
    const victimTimeline: Array<{ at: number; ok: boolean }> = [];
    let running = true;

    /** One conversation turn: load the thread, push the turn's message, note it, save. */
    const turn = async (id: string, n: number): Promise<void> => {
      const snapshot = (await store.load(id)) ?? { state: {}, metadata: {} };
      const state = new ThreadState(id, () => Promise.resolve(snapshot));
      await state.push('messages', { turn: n, text: `message ${n}` });
      await state.set('lastTurn', n);
      try {
        await store.save(id, { ...state.takeChanges(), metadata: { turns: n + 1 } });
      } catch (error) {
        failedSaves.get(id)!.push(n);
        throw error;
      }
      acknowledged.get(id)!.push(n);
    };
    const conversation = async (id: string): Promise<void> => {
      for (let n = 0; running; n++) {
        try {
          await turn(id, n);
          if (onVictim.has(id)) victimTimeline.push({ at: performance.now(), ok: true });
        } catch (error) {
          if (onVictim.has(id)) victimTimeline.push({ at: performance.now(), ok: false });
          assert.ok(error instanceof ThreadStoreUnavailableError, `only outages fail turns: ${String(error)}`);
          failedTurns++;
          const kind = (error.cause instanceof Error ? error.cause.message : error.message).replace(/\d+/g, 'N');
          failures.set(kind, (failures.get(kind) ?? 0) + 1);
          await sleep(20);
        }
      }
    };

    const conversations = ids.map(conversation);
    await sleep(1000);
    const before = [...acknowledged.values()].reduce((sum, turns) => sum + turns.length, 0);
    const killedAt = performance.now();
    await victim.stop(); // SIGKILL
    await cluster.waitUntilOk();
    const failedOverMs = performance.now() - killedAt;
    const promoted = await cluster.masterOf(`otel-sessions:{${ids[0]}}:meta`);
    await sleep(2000); // turns go on on the new master
    running = false;
    await Promise.all(conversations);

    const total = [...acknowledged.values()].reduce((sum, turns) => sum + turns.length, 0);
    const firstFailure = victimTimeline.find((event) => !event.ok)?.at;
    const lastFailure = victimTimeline.findLast((event) => !event.ok)?.at ?? killedAt;
    const servedAgain = victimTimeline.find((event) => event.ok && event.at > lastFailure)?.at;
    const sinceKill = (time: number | undefined): string =>
      time === undefined ? 'never' : `${(time - killedAt).toFixed(0)} ms after the kill`;
    t.diagnostic(
      `threads on the killed master (port ${victim.port}): ${onVictim.size} of ${ids.length}; promoted replica: port ${promoted.port}`,
    );
    t.diagnostic(`cluster_state ok on every node ${failedOverMs.toFixed(0)} ms after the kill`);
    t.diagnostic(
      `turns on the killed master's threads: first failed ${sinceKill(firstFailure)}, last failed ${sinceKill(lastFailure)}, served again ${sinceKill(servedAgain)}`,
    );
    t.diagnostic(
      `turns acknowledged: ${before} before the kill, ${total} in all; turns failed: ${failedTurns} ${JSON.stringify(Object.fromEntries(failures))}`,
    );
    t.diagnostic(`outage reports: ${JSON.stringify(events)}`);
    assert.notEqual(promoted, victim, 'a replica took over');
    assert.ok(servedAgain !== undefined, "the killed master's threads are served again");
    for (const id of ids)
      assert.ok(
        acknowledged.get(id)!.some((n) => n > 0),
        `${id} had turns`,
      );

    // Nothing acknowledged lost: every acknowledged turn's message is in its thread, once, in order.
    let lost = 0;
    let appliedThoughFailed = 0;
    for (const id of ids) {
      const snapshot = await store.load(id);
      const messages = (snapshot?.state['messages'] ?? []) as Array<{ turn: number }>;
      const turns = messages.map((message) => message.turn);
      assert.deepEqual(
        turns,
        [...turns].sort((a, b) => a - b),
        `${id}: messages in turn order`,
      );
      assert.equal(new Set(turns).size, turns.length, `${id}: no message twice`);
      const stored = new Set(turns);
      lost += acknowledged.get(id)!.filter((n) => !stored.has(n)).length;
      appliedThoughFailed += failedSaves.get(id)!.filter((n) => stored.has(n)).length;
      const last = Math.max(...acknowledged.get(id)!);
      assert.ok(
        Number(snapshot?.state['lastTurn']) >= last,
        `${id}: lastTurn is at least the newest acknowledged turn`,
      );
    }
    t.diagnostic(
      `acknowledged turns lost: ${lost}; saves that rejected but were applied after all: ${appliedThoughFailed}`,
    );
    assert.equal(lost, 0, 'no acknowledged turn lost');
    // One outage, reported once down and once up (none if no turn met it).
    assert.equal(events.length, failedTurns > 0 ? 2 : 0, JSON.stringify(events));
    if (failedTurns > 0) assert.match(events[1]!, /^up/);
    assert.equal(store.available, true);
  });
});
