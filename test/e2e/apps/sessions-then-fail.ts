/**
 * Fixture for jaeger-sessions.test.ts: starts a Jaeger stack and both session apps, writes
 * their process IDs to stderr as one line `PIDS [..]`, serves one request, then fails a
 * test on purpose. Run it as `node --import tsx sessions-then-fail.ts`; the caller checks
 * that the failed run left no process behind.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startJaegerStack, type JaegerStack } from '../support/jaeger.js';
import { startSessionApps, type SessionApps } from './start-apps.js';

let stack: JaegerStack | undefined;
let apps: SessionApps | undefined;

after(async () => {
  await apps?.stop(2000);
  await stack?.stop();
});

test('fails on purpose with the apps running', async () => {
  stack = await startJaegerStack();
  apps = await startSessionApps(stack);
  process.stderr.write(`PIDS ${JSON.stringify([...stack.pids(), apps.demo.pid, apps.echo.pid])}\n`);
  const response = await fetch(`${apps.demoUrl}/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requestType: 'doomed', message: 'about to fail' }),
  });
  assert.equal(response.status, 200);
  assert.fail('fixture: failing on purpose');
});
