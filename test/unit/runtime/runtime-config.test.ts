import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { sessions } from '../../../src/hono/sessions-middleware.js';
import type { Env } from '../../../src/hono/env.js';
import { sessionsRunningNow } from '../../../src/runtime/runtime-config.js';
import { installTestTelemetry } from '../../support/otel.js';

installTestTelemetry();

test('a shutdown waits for the sessions running at the signal (up to its limit), not for later ones', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const app = new Hono<Env>();
  app.use(sessions({ secret: 'drain-secret-drain-secret-0123456789ab' }));
  app.get('/slow', async (c) => {
    await gate;
    return c.text('done');
  });
  const inFlight = app.request('/slow');
  await new Promise((resolve) => setTimeout(resolve, 10)); // the request is inside the middleware now

  let drained = false;
  const draining = sessionsRunningNow(5000).then(() => (drained = true));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(drained, false, 'still waiting for the running session');
  release();
  assert.equal((await inFlight).status, 200);
  await draining;
  assert.equal(drained, true);

  const started = Date.now();
  await sessionsRunningNow(5000); // nothing running: no wait beyond the short settle pause
  assert.ok(Date.now() - started < 1000);
});

test('the wait is bounded: a session that never ends holds a shutdown only up to the limit', async () => {
  const app = new Hono<Env>();
  app.use(sessions({ secret: 'drain-secret-drain-secret-0123456789ab' }));
  app.get('/stuck', () => new Promise<Response>(() => {}));
  void app.request('/stuck');
  await new Promise((resolve) => setTimeout(resolve, 10));
  const keepAlive = setInterval(() => {}, 1000); // the drain's own timer does not hold the process
  const started = Date.now();
  await sessionsRunningNow(200);
  const waited = Date.now() - started;
  clearInterval(keepAlive);
  assert.ok(waited >= 200 && waited < 2000, `waited ${waited} ms`);
});
