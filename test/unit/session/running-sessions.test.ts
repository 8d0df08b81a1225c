import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { createAgent } from '../../../src/agent/create-agent.js';
import { sessions } from '../../../src/hono/sessions-middleware.js';
import type { SessionsEnv } from '../../../src/hono/env.js';
import { installTestTelemetry } from '../../support/otel.js';

const { runtime } = installTestTelemetry();

test('a shutdown waits for the sessions running at the signal (up to its limit), not for later ones', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const app = new Hono<SessionsEnv>();
  app.use(sessions({ secret: 'drain-secret-drain-secret-0123456789ab' }));
  app.get('/slow', async (c) => {
    await gate;
    return c.text('done');
  });
  const inFlight = app.request('/slow');
  await new Promise((resolve) => setTimeout(resolve, 10)); // the request is inside the middleware now

  let drained = false;
  const draining = runtime.running.waitForRunningSessions(5000).then(() => (drained = true));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(drained, false, 'still waiting for the running session');
  release();
  assert.equal((await inFlight).status, 200);
  await draining;
  assert.equal(drained, true);

  const started = Date.now();
  await runtime.running.waitForRunningSessions(5000); // nothing running: no wait beyond the short settle pause
  assert.ok(Date.now() - started < 1000);
});

test('a standalone agent.run counts as running until its waitUntil work has settled', async () => {
  let releaseWork!: () => void;
  let releaseBackground!: () => void;
  const work = new Promise<void>((resolve) => (releaseWork = resolve));
  const background = new Promise<void>((resolve) => (releaseBackground = resolve));
  const agent = createAgent('Job', {
    handler: async (ctx) => {
      ctx.waitUntil(() => background);
      await work;
      return 'done';
    },
  });
  const before = runtime.running.size;
  const result = agent.run({});
  assert.equal(runtime.running.size, before + 1, 'counted from the start');

  let drained = false;
  const draining = runtime.running.waitForRunningSessions(5000).then(() => (drained = true));
  releaseWork();
  assert.equal(await result, 'done');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(drained, false, 'still waiting for the waitUntil work');
  releaseBackground();
  await draining;
  assert.equal(drained, true);
  assert.equal(runtime.running.size, before);
});

test('the wait is bounded: a session that never ends holds a shutdown only up to the limit', async () => {
  const app = new Hono<SessionsEnv>();
  app.use(sessions({ secret: 'drain-secret-drain-secret-0123456789ab' }));
  app.get('/stuck', () => new Promise<Response>(() => {}));
  void app.request('/stuck');
  await new Promise((resolve) => setTimeout(resolve, 10));
  const keepAlive = setInterval(() => {}, 1000); // the drain's own timer does not hold the process
  const started = Date.now();
  await runtime.running.waitForRunningSessions(200);
  const waited = Date.now() - started;
  clearInterval(keepAlive);
  assert.ok(waited >= 200 && waited < 2000, `waited ${waited} ms`);
});
