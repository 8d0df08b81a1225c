import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisThreadStore } from '../../src/thread/redis-thread-store.js';
import { ThreadStoreUnavailableError } from '../../src/thread/store-unavailable-error.js';
import { changes, threadStoreContract } from '../unit/thread/support/thread-store-contract.js';
import { startRedis, storesOn, type RedisServer } from './support/redis.js';
import { startRoundTripProxy } from './support/round-trip-proxy.js';

let redis: RedisServer;
let sequence = 0;
/** Stores on the test Redis, closed after the tests; each test gets its own prefix. */
const { newStore, closeStores } = storesOn(() => ({ url: redis.url }));

function newThreadId(): string {
  return `thrd_test${++sequence}${Date.now().toString(36)}`;
}

before(async () => {
  redis = await startRedis();
});

after(async () => {
  await closeStores();
  await redis?.close();
});

describe('RedisThreadStore against a real redis-server', () => {
  threadStoreContract(({ maxThreadBytes }) => new RedisThreadStore({ url: redis.url, maxThreadBytes }));

  test('a session that writes nothing leaves no key; 1,000 of them leave none either', async () => {
    const store = newStore({ keyPrefix: `empty${++sequence}:` });
    const admin = redis.client();
    for (let n = 0; n < 1000; n++) {
      const id = newThreadId();
      await store.load(id);
      await store.touch([id]);
      await store.save(id, changes({}));
    }
    assert.deepEqual(await admin.keys(`empty${sequence}:*`), []);
  });

  test('two stores (two connections) saving 300 KiB each to different keys, 8 at once: the cap holds across connections', async () => {
    const stores = [newStore(), newStore()];
    const id = newThreadId();
    await stores[0]?.save(id, changes({ set: { start: true } }));
    const big = 'x'.repeat(300 * 1024);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, n) => stores[n % 2]!.save(id, changes({ set: { [`part${n}`]: big } }))),
    );
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 3);
    const snapshot = await stores[1]!.load(id);
    assert.equal(Object.keys(snapshot?.state ?? {}).length, 4);
  });

  test('two stores (two connections, like two processes) writing disjoint keys of one thread lose nothing over 1,000 turns', async () => {
    const first = newStore();
    const second = newStore();
    const id = newThreadId();
    const turn = async (store: RedisThreadStore, key: string): Promise<void> => {
      const snapshot = await store.load(id);
      const count = typeof snapshot?.state[key] === 'number' ? snapshot.state[key] : 0;
      await store.save(id, changes({ set: { [`${key}:${count}`]: count, [key]: count + 1 } }));
    };
    for (let index = 0; index < 1000; index++) await Promise.all([turn(first, 'a'), turn(second, 'b')]);

    const snapshot = await first.load(id);
    assert.ok(snapshot);
    assert.equal(snapshot.state['a'], 1000);
    assert.equal(snapshot.state['b'], 1000);
    assert.equal(Object.keys(snapshot.state).length, 2 + 2000);
    for (let count = 0; count < 1000; count++) {
      assert.equal(snapshot.state[`a:${count}`], count);
      assert.equal(snapshot.state[`b:${count}`], count);
    }
  });

  test('same key: the last save wins, whole value (no merge)', async () => {
    const first = newStore();
    const second = newStore();
    const id = newThreadId();
    await first.save(id, changes({ set: { shared: { from: 'first', extra: 1 } } }));
    await second.save(id, changes({ set: { shared: { from: 'second' } } }));
    assert.deepEqual((await first.load(id))?.state, { shared: { from: 'second' } });
    await first.save(id, changes({ metadata: { owner: 'first' } }));
    await second.save(id, changes({ metadata: { by: 'second' } }));
    assert.deepEqual((await first.load(id))?.metadata, { by: 'second' }, 'metadata is replaced whole');
  });

  test('a thread expires ttl after its last activity; touch, load and save extend it', async () => {
    const store = newStore({ ttlMs: 400 });
    const client = redis.client();
    const id = newThreadId();
    const other = newThreadId();
    await store.save(id, changes({ set: { a: 1 } }));
    await sleep(250);
    await store.touch([id, 'thrd_never_seen']);
    assert.equal(
      await client.exists(`otel-sessions:{thrd_never_seen}:meta`, `otel-sessions:{thrd_never_seen}:state`),
      0,
      'touch creates nothing',
    );
    await sleep(250);
    const pttl = await client.pttl(`otel-sessions:{${id}}:state`);
    assert.ok(pttl > 0 && pttl <= 200, `touch extended the expiry (pttl ${pttl})`);
    assert.deepEqual((await store.load(id))?.state, { a: 1 }, 'alive 500 ms after the save, thanks to the touch');
    await store.save(other, changes({}));
    await sleep(600);
    assert.equal(await store.load(id), undefined, 'gone 600 ms after the last activity');
    assert.equal(await store.load(other), undefined);
    assert.equal(
      await client.exists(`otel-sessions:{${id}}:meta`, `otel-sessions:{${id}}:state`),
      0,
      'both keys expired',
    );
  });

  test('round trips: load = 1, save = 1, touch of many threads = 1 (counted by a TCP proxy), with the expected commands', async (t) => {
    const proxy = await startRoundTripProxy(redis.port);
    try {
      const store = newStore({ url: proxy.url });
      const admin = redis.client();
      const id = newThreadId();
      await store.load(id); // connects (handshake round trips are not counted below)
      // The first run of a script on a Redis that has not cached it yet takes one more (NOSCRIPT, EVAL).
      await store.save(id, changes({ set: { warm: true } }));
      await store.load(id);
      const perSession: number[] = [];
      const before = await commandStats(admin);
      for (let session = 0; session < 10; session++) {
        proxy.reset();
        const snapshot = await store.load(id);
        const afterLoad = proxy.roundTrips;
        await store.save(
          id,
          changes({
            set: { [`k${session}`]: session, n: (snapshot?.state['n'] as number | undefined) ?? 0 },
            deleted: ['gone'],
            metadata: { s: session },
          }),
        );
        assert.equal(afterLoad, 1, 'load is one round trip');
        assert.equal(proxy.roundTrips, 2, 'save is one more');
        perSession.push(proxy.roundTrips);
      }
      const after = await commandStats(admin);
      const ran = Object.fromEntries(
        Object.entries(after)
          .map(([name, calls]) => [name, calls - (before[name] ?? 0)])
          .filter(([, calls]) => calls !== 0),
      );
      t.diagnostic(`round trips per session (load + save): ${perSession.join(' ')}`);
      t.diagnostic(`commands for 10 sessions: ${JSON.stringify(ran)}`);
      assert.equal(ran['evalsha'], 20, 'load and save: one script each');
      assert.equal(ran['multi'], undefined, 'no transaction: the scripts are atomic');
      assert.equal(ran['hgetall'], 10, "the load script's reads");
      assert.equal(ran['get'], 10);

      proxy.reset();
      await store.touch(Array.from({ length: 50 }, () => newThreadId()).concat(id));
      assert.equal(proxy.roundTrips, 1, 'touch of 51 threads is one round trip');
      proxy.reset();
      await store.touch([]);
      assert.equal(proxy.roundTrips, 0, 'touch of no threads does no I/O');
    } finally {
      await proxy.close();
    }
  });

  test('a touch renews only threads not renewed for a tenth of the TTL: none right after their load or save', async () => {
    const proxy = await startRoundTripProxy(redis.port);
    try {
      // A tenth of 2 s: a thread loaded or saved less than 200 ms ago is not renewed again.
      const store = newStore({ url: proxy.url, ttlMs: 2000 });
      const client = redis.client();
      const saved = newThreadId();
      const loaded = newThreadId();
      await store.save(saved, changes({ set: { a: 1 } }));
      await store.save(loaded, changes({ set: { b: 1 } }));
      await sleep(250);
      await store.load(loaded);
      proxy.reset();
      await store.touch([loaded]);
      assert.equal(proxy.roundTrips, 0, 'the thread just loaded: no command');
      await store.touch([saved, loaded]);
      assert.equal(proxy.roundTrips, 1, 'the thread saved 250 ms ago: renewed');
      const pttl = await client.pttl(`otel-sessions:{${saved}}:state`);
      assert.ok(pttl > 1900, `renewed by the touch (pttl ${pttl})`);
      proxy.reset();
      await store.touch([saved]);
      assert.equal(proxy.roundTrips, 0, 'and not again right after');
    } finally {
      await proxy.close();
    }
  });

  test("the loads and saves of one event-loop turn (its sessions') go to Redis in one round trip", async () => {
    const proxy = await startRoundTripProxy(redis.port);
    try {
      const store = newStore({ url: proxy.url });
      const ids = Array.from({ length: 10 }, () => newThreadId());
      await store.save(ids[0]!, changes({ set: { warm: true } })); // connects, and caches the scripts
      await store.load(ids[0]!);
      proxy.reset();
      await Promise.all(ids.map((id, n) => store.save(id, changes({ set: { n } }))));
      assert.equal(proxy.roundTrips, 1, 'ten saves asked for at once');
      proxy.reset();
      const loaded = await Promise.all(ids.map((id) => store.load(id)));
      assert.equal(proxy.roundTrips, 1, 'ten loads asked for at once');
      assert.deepEqual(
        loaded.map((snapshot) => snapshot?.state['n']),
        ids.map((_, n) => n),
      );
    } finally {
      await proxy.close();
    }
  });

  test('destroy removes the thread, reports it to onGone, and resolves whether it existed', async () => {
    const store = newStore();
    const gone: string[] = [];
    store.onGone((threadId, reason) => gone.push(`${threadId} ${reason}`));
    const id = newThreadId();
    await store.save(id, changes({ set: { a: 1 } }));
    assert.equal(await store.destroy(id), true);
    assert.equal((await store.load(id))?.destroyed, true);
    assert.equal(await store.destroy(id), false);
    assert.deepEqual(gone, [`${id} destroyed`]);
  });

  test('save refuses non-JSON values and changes above the size cap, writing nothing', async () => {
    const store = newStore({ maxThreadBytes: 100 });
    const id = newThreadId();
    await assert.rejects(store.save(id, changes({ set: { big: 'x'.repeat(200) } })), {
      name: 'ThreadTooLargeError',
      message: `thread ${id} would be 207 bytes after this change, above its cap of 100 bytes`,
    });
    await assert.rejects(store.save(id, changes({ set: { n: 10n as never } })), {
      name: 'TypeError',
      message: /thread state "n" is not JSON: the value is a BigInt/,
    });
    assert.equal(await store.load(id), undefined);
  });

  test('an ioredis client given by the user is used and left open at close()', async () => {
    const client = redis.client();
    const store = new RedisThreadStore({ client });
    const id = newThreadId();
    await store.save(id, changes({ set: { a: 'b' } }));
    assert.equal(await client.hget(`otel-sessions:{${id}}:state`, 'a'), '"b"');
    await store.close();
    await store.close();
    assert.equal(await client.ping(), 'PONG');
    await assert.rejects(store.load(id), /after close/);
  });

  test('Redis stopped mid-run: operations reject fast, the outage is reported once, and the same store recovers when Redis returns', async (t) => {
    const events: string[] = [];
    const store = newStore({
      onUnavailable: (error) => events.push(`down: ${error.message}`),
      onAvailable: () => events.push('up'),
    });
    const id = newThreadId();
    await store.save(id, changes({ set: { a: 1 } }));
    assert.equal(store.available, true);

    await redis.stop();
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
    // A thread it has not renewed lately: one it has is left alone, with no command sent.
    await assert.rejects(store.touch([id, newThreadId()]), ThreadStoreUnavailableError);
    t.diagnostic(`slowest rejection while Redis was down: ${slowest.toFixed(1)} ms`);
    assert.ok(slowest < 1000, `rejections are fast (slowest ${slowest} ms)`);
    assert.equal(store.available, false);
    assert.equal(events.length, 1, `one report per outage: ${JSON.stringify(events)}`);

    await redis.start();
    const recovered = performance.now();
    while (!store.available && performance.now() - recovered < 5000) await sleep(20);
    t.diagnostic(`recovered ${(performance.now() - recovered).toFixed(0)} ms after Redis restarted`);
    assert.equal(store.available, true);
    assert.equal(await store.load(id), undefined, 'Redis came back empty (no persistence): the thread starts fresh');
    await store.save(id, changes({ set: { c: 3 } }));
    assert.deepEqual((await store.load(id))?.state, { c: 3 });
    assert.equal(events.length, 2);
    assert.equal(events[1], 'up');

    await redis.stop();
    await assert.rejects(store.load(id), ThreadStoreUnavailableError);
    await redis.start();
    assert.equal(events.length, 3, 'a second outage is reported once more');
  });

  test('Redis that hangs (connection open, no answer): operations reject after operationTimeoutMs, then work again', async () => {
    const events: string[] = [];
    const store = newStore({
      operationTimeoutMs: 300,
      onUnavailable: () => events.push('down'),
      onAvailable: () => events.push('up'),
    });
    const id = newThreadId();
    await store.save(id, changes({ set: { a: 1 } }));
    redis.pause();
    try {
      const started = performance.now();
      await assert.rejects(store.load(id), { name: 'ThreadStoreUnavailableError', message: /took over 300 ms/ });
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 290 && elapsed < 1000, `rejected after ${elapsed} ms`);
      assert.equal(store.available, false);
    } finally {
      redis.resume();
    }
    assert.deepEqual((await store.load(id))?.state, { a: 1 });
    assert.equal(store.available, true);
    assert.deepEqual(events, ['down', 'up']);
  });

  test('a store whose Redis is down from the start rejects within the connect timeout', async () => {
    const events: string[] = [];
    const store = newStore({
      url: 'redis://127.0.0.1:1',
      connectTimeoutMs: 300,
      onUnavailable: (error) => events.push(error.message),
    });
    const started = performance.now();
    await assert.rejects(store.load(newThreadId()), ThreadStoreUnavailableError);
    assert.ok(performance.now() - started < 1000);
    await assert.rejects(store.load(newThreadId()), ThreadStoreUnavailableError);
    assert.equal(events.length, 1);
    await store.close();
  });
});

async function commandStats(client: ReturnType<RedisServer['client']>): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const stats: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats[match[1] as string] = Number(match[2]);
  return stats;
}
