/**
 * SqliteThreadStore against real files and real processes (issue 13): a process killed with
 * SIGKILL in the middle of its writes leaves the thread at its last committed state, and
 * several processes sharing one file lose none of each other's writes. Needs node:sqlite
 * (Node.js 22.13+): run with Node 24; skipped, with a message, on older Nodes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isSqliteAvailable } from '../../src/thread/node-sqlite.js';
import { SqliteThreadStore } from '../../src/thread/sqlite-thread-store.js';
import { startProcess, type ManagedProcess } from './support/processes.js';
import { waitUntil } from './support/wait.js';

const skip = isSqliteAvailable()
  ? false
  : `node:sqlite is not in Node.js ${process.versions.node} (needs 22.13+): run with Node 24`;
const writer = fileURLToPath(new URL('./apps/sqlite-writer.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-sqlite-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function startWriter(...args: string[]): ManagedProcess {
  return startProcess({ name: 'sqlite-writer', command: process.execPath, args: ['--import', 'tsx', writer, ...args] });
}

/** Waits for `child` to end. The children are unref'd: a ref'd timer keeps the test's event loop alive meanwhile. */
async function exitOf(child: ManagedProcess): Promise<void> {
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await child.exited;
  } finally {
    clearInterval(keepAlive);
  }
}

/** The turns a writer printed (each printed after its save committed). */
function committedTurns(child: ManagedProcess): number[] {
  return child
    .output()
    .split('\n')
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
}

function blobOf(turn: number): string {
  return `${turn}:`.padEnd(64 * 1024, String.fromCharCode(97 + (turn % 26)));
}

describe('SqliteThreadStore across processes', { skip }, () => {
  test('a writer killed with SIGKILL mid-write, 5 times over: reopened, the thread is its last committed state, whole', async (t) => {
    const path = join(dir, 'crash.sqlite');
    const threadId = 'thrd_crash';
    let total = 0;
    for (let round = 0; round < 5; round++) {
      const child = startWriter(path, threadId, 'crash');
      // Let it commit a good number of turns past the ones it found, then kill it mid-loop.
      const start = total;
      await waitUntil(() => committedTurns(child).some((turn) => turn >= start + 50), {
        timeoutMs: 30_000,
        what: `writer round ${round} to commit 50 turns (output: ${child.output().slice(-500)})`,
      });
      process.kill(-child.pid, 'SIGKILL');
      await exitOf(child);
      assert.equal(child.exitStatus()?.signal, 'SIGKILL');
      const printed = committedTurns(child);
      const lastPrinted = printed.at(-1) ?? 0;

      const store = new SqliteThreadStore({ path });
      const snapshot = await store.load(threadId);
      const db = (store as unknown as { db: { prepare(sql: string): { get(): Record<string, unknown> } } }).db;
      const integrity = db.prepare('PRAGMA integrity_check').get();
      await store.close();

      assert.ok(snapshot, 'the thread is there');
      const turn = snapshot.state['turn'] as number;
      // Committed before printing: at least the last printed turn; at most one more (committed, not yet printed).
      assert.ok(turn === lastPrinted || turn === lastPrinted + 1, `turn ${turn}, last printed ${lastPrinted}`);
      assert.deepEqual(snapshot.metadata, { turn }, 'metadata from the same transaction');
      assert.equal(snapshot.state['blob'], blobOf(turn), 'the blob of that same turn, whole');
      assert.deepEqual(snapshot.state[`slot${turn % 40}`], { turn, list: [turn, String(turn)] });
      assert.equal(snapshot.state[`slot${(turn + 20) % 40}`], undefined, 'the delete of that turn applied too');
      assert.deepEqual({ ...integrity }, { integrity_check: 'ok' });
      t.diagnostic(`round ${round}: killed after turn ${lastPrinted} was printed; reopened at turn ${turn}`);
      total = turn;
    }
  });

  test('three processes writing disjoint keys of one thread, 200 turns each, at once: nothing lost', async () => {
    const path = join(dir, 'shared.sqlite');
    const threadId = 'thrd_shared';
    const names = ['one', 'two', 'three'];
    const children = names.map((name) => startWriter(path, threadId, 'keys', name, '200'));
    await Promise.all(children.map(exitOf));
    for (const child of children) assert.equal(child.exitStatus()?.code, 0, child.output());
    const store = new SqliteThreadStore({ path });
    const state = (await store.load(threadId))?.state ?? {};
    await store.close();
    for (const name of names) {
      assert.equal(state[name], 200, `${name} counted every turn`);
      for (let turn = 0; turn < 200; turn++) assert.equal(state[`${name}:${turn}`], turn);
    }
    assert.equal(Object.keys(state).length, 3 * 201);
  });
});
