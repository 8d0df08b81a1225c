import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { isSqliteAvailable, openSqliteDatabase } from '../../../src/thread/node-sqlite.js';
import { WalCheckpointer } from '../../../src/thread/wal-checkpointer.js';
import { until } from '../../support/until.js';

const skip = isSqliteAvailable() ? false : `node:sqlite is not in Node.js ${process.versions.node}: run with Node 24`;
const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-checkpointer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('WalCheckpointer', { skip }, () => {
  test('copies the pages another connection commits into the database file', async () => {
    const path = join(dir, 'pages.sqlite');
    const db = openSqliteDatabase(path);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (v TEXT)');
    const checkpointer = new WalCheckpointer(path, (reason) => assert.fail(reason));
    const before = statSync(path).size;
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (let n = 0; n < 100; n++) insert.run('x'.repeat(1000));
    assert.ok(await until(() => statSync(path).size > before), 'the file took in the WAL pages');
    await checkpointer.close();
    db.close();
  });

  test('a process that awaits close() goes on after it, and then ends (the worker does not hold it)', () => {
    const path = join(dir, 'child.sqlite');
    const url = new URL('../../../src/thread/sqlite-thread-store.ts', import.meta.url).href;
    const code = `
      const { SqliteThreadStore } = await import(${JSON.stringify(url)});
      const store = new SqliteThreadStore({ path: ${JSON.stringify(path)} });
      await store.save('thrd_a', { set: { a: 1 }, deleted: [], cleared: false });
      await store.close();
      console.log('closed');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(child.stdout.trim(), 'closed', child.stderr);
    assert.equal(child.status, 0);
  });

  test('a worker that ends before close() is reported once', async () => {
    const reasons: string[] = [];
    const checkpointer = new WalCheckpointer(join(dir, 'ends.sqlite'), (reason) => reasons.push(reason));
    await (checkpointer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    assert.ok(await until(() => reasons.length > 0));
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /^its worker thread ended \(exit code \d+\)$/);
    await checkpointer.close();
    assert.equal(reasons.length, 1);
  });

  test('a worker that cannot open the file reports it once, and close() still resolves', async () => {
    const reasons: string[] = [];
    const checkpointer = new WalCheckpointer(join(dir, 'missing', 'folder', 'x.sqlite'), (reason) =>
      reasons.push(reason),
    );
    assert.ok(await until(() => reasons.length > 0));
    await delay(300);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /unable to open/i);
    await checkpointer.close();
  });
});
