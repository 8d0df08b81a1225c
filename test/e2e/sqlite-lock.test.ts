/**
 * An app whose SQLite thread file is locked by another connection (a backup, a `VACUUM`, a
 * stuck process; issue 26): the event loop never waits on the lock. A real app process over
 * the default store, and a second process holding `BEGIN IMMEDIATE` on the same file.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startApp } from './apps/start-apps.js';
import { freePorts, LOOPBACK } from './support/ports.js';
import type { ManagedProcess } from './support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-lock-e2e-'));
let app: ManagedProcess | undefined;
let holder: ChildProcessWithoutNullStreams | undefined;

after(async () => {
  holder?.kill('SIGKILL');
  await app?.stop(2000);
  rmSync(dir, { recursive: true, force: true });
});

/** A process that holds the write lock on `path` from 'locked' until it reads a line. */
async function holdWriteLock(path: string): Promise<ChildProcessWithoutNullStreams> {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(${JSON.stringify(path)});
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    process.stdin.once('data', () => { db.exec('ROLLBACK'); db.close(); process.stdout.write('released\\n'); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', script]);
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(String(line).trim(), 'locked');
  return child;
}

test('while another process holds the write lock: a request that touches no thread is answered before a thread turn that waits to save, which commits once the lock is free', async () => {
  const [port] = (await freePorts(1)) as [number];
  app = await startApp('lock-app', './chat-service.ts', port, {
    OTEL_SESSIONS_SECRET: randomBytes(32).toString('base64url'),
    OTEL_SESSIONS_JOURNAL_DIR: dir,
  });
  const url = `http://${LOOPBACK}:${port}`;
  const first = await fetch(`${url}/push/log`, {
    method: 'POST',
    body: '"before"',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(first.status, 200);
  const token = first.headers.get('x-thread-id') ?? '';
  await first.text();

  holder = await holdWriteLock(join(dir, 'threads.sqlite'));
  const order: string[] = [];
  const turn = fetch(`${url}/push/log`, {
    method: 'POST',
    body: '"during"',
    headers: { 'content-type': 'application/json', 'x-thread-id': token },
  }).then(async (response) => {
    order.push('turn');
    return { status: response.status, body: await response.text() };
  });
  // The turn's save is waiting for the lock now; a request that needs no thread goes through.
  for (let request = 0; request < 5; request++) {
    const notFound = await fetch(`${url}/no-such-route`);
    assert.equal(notFound.status, 404);
    await notFound.text();
  }
  order.push('404s');
  holder.stdin.write('release\n');
  await once(holder, 'exit');
  const answered = await turn;
  assert.equal(answered.status, 200, answered.body);
  assert.deepEqual(order, ['404s', 'turn'], 'the 404s were answered while the turn waited for the lock');

  const read = await fetch(`${url}/state/log`, { headers: { 'x-thread-id': token } });
  assert.deepEqual(
    ((await read.json()) as { value: unknown }).value,
    ['before', 'during'],
    'the waiting save was kept',
  );
});
