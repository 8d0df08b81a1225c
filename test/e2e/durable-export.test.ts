/**
 * Issue 12, "Telemetry that is never lost", against the real collector tier and Jaeger
 * (test/e2e/support/jaeger.ts) and the demo-service → echo-service pair, both started with
 * `node --import otel-sessions/register`:
 *
 * 1. Each protocol (http/protobuf, http/json, grpc), with and without gzip, through the
 *    official exporters: 50 sessions arrive whole in Jaeger, their log records at the collector.
 * 2. Collector down, 100 sessions answered, SIGKILL, collector back, processes restarted on
 *    the same journal folder: every answered session arrives whole.
 * 3. SIGTERM while the collector is down and load continues: the process ends within 10 s of
 *    the signal; every answered session (before and after the signal) arrives once the
 *    collector is back and a process of the service starts again.
 * 4. A small spool cap and a long outage: the spool on disk stays within its cap, and one
 *    message per signal says how many spans and log records were dropped: exactly those
 *    missing from Jaeger.
 *
 * At-least-once: each test prints how many duplicate spans Jaeger returned.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startJaegerStack, type JaegerStack } from './support/jaeger.js';
import {
  assertAllAnswered,
  DEMO_SPANS,
  LOGS_PER_SESSION,
  logRecordsBySession,
  spansBySession,
  startLoad,
  waitForWholeSessions,
  type Sample,
} from './support/session-load.js';
import { waitUntil } from './support/wait.js';
import { rssMiB, startAppsAt, type SessionApps } from './apps/start-apps.js';

/** Requests per second of the steady load. */
const RATE = 25;
/** A short batch delay, so that what was answered leaves the batch processors quickly. */
const FAST_BATCHES = { OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BLRP_SCHEDULE_DELAY: '200' };

/** Bytes of a journal folder's spool segment files, per signal. */
function spoolBytes(journalDir: string): { spans: number; logs: number; files: number } {
  const of = (signal: string): { bytes: number; files: number } => {
    const dir = join(journalDir, 'spool', signal);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return { bytes: 0, files: 0 };
    }
    let bytes = 0;
    for (const name of names) {
      try {
        bytes += statSync(join(dir, name)).size;
      } catch {
        // Sent and deleted meanwhile.
      }
    }
    return { bytes, files: names.length };
  };
  const spans = of('spans');
  const logs = of('logs');
  return { spans: spans.bytes, logs: logs.bytes, files: spans.files + logs.files };
}

/** `n` sessions, 10 at a time; returns their IDs, all answered 200. */
async function sessions(baseUrl: string, n: number, label: string): Promise<string[]> {
  const samples: Sample[] = [];
  const load = startLoad(baseUrl, 1000, label);
  try {
    while (load.samples.length + load.inFlight() < n) await sleep(1);
  } finally {
    await load.stop();
  }
  samples.push(...load.samples);
  return assertAllAnswered(samples).slice(0, n);
}

/** Waits until every session has its log records in the collector's output. */
async function waitForLogs(stack: JaegerStack, ids: string[], timeoutMs: number): Promise<number> {
  let counts = new Map<string, number>();
  const short = (): string[] => ids.filter((id) => (counts.get(id) ?? 0) < LOGS_PER_SESSION);
  await waitUntil(
    () => {
      counts = logRecordsBySession(stack.collectorOutput());
      return short().length === 0;
    },
    { timeoutMs, intervalMs: 500, what: `the log records of ${ids.length} sessions at the collector` },
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}: ${short().length} sessions short, e.g. ${short().slice(0, 3)}`, {
      cause: error,
    });
  });
  return ids.reduce((sum, id) => sum + Math.max(0, (counts.get(id) ?? 0) - LOGS_PER_SESSION), 0);
}

const SIGKILL = (apps: SessionApps): Promise<void> => {
  for (const app of [apps.demo, apps.echo]) process.kill(app.pid, 'SIGKILL');
  return Promise.all([apps.demo.exited, apps.echo.exited]).then(() => undefined);
};

describe('durable export through the official exporters (real collector and Jaeger)', () => {
  let stack: JaegerStack | undefined;
  const started: SessionApps[] = [];
  const dirs: string[] = [];

  before(async () => {
    stack = await startJaegerStack();
  });

  after(async () => {
    await Promise.all(started.map((apps) => apps.stop(2000)));
    await stack?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const journal = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-durable-'));
    dirs.push(dir);
    return dir;
  };

  async function apps(env: Record<string, string>, grpc = false): Promise<SessionApps> {
    assert.ok(stack);
    const running = await startAppsAt(grpc ? stack.otlpGrpcEndpoint : stack.otlpHttpEndpoint, env);
    started.push(running);
    return running;
  }

  for (const protocol of ['http/protobuf', 'http/json', 'grpc'] as const) {
    for (const compression of ['none', 'gzip'] as const) {
      test(`${protocol}, compression ${compression}: 50 sessions arrive whole`, { timeout: 90_000 }, async () => {
        assert.ok(stack);
        const dir = journal();
        const running = await apps(
          {
            OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
            OTEL_EXPORTER_OTLP_COMPRESSION: compression,
            OTEL_SESSIONS_JOURNAL_DIR: dir,
            ...FAST_BATCHES,
          },
          protocol === 'grpc',
        );
        const ids = await sessions(running.demoUrl, 50, protocol);
        const duplicates = await waitForWholeSessions(stack.queryUrl, ids, 30_000);
        const duplicateLogs = await waitForLogs(stack, ids, 30_000);
        await running.stop(5000);
        assert.equal(spoolBytes(dir).files, 0, 'everything sent: the spools are empty');
        for (const app of [running.demo, running.echo]) {
          assert.doesNotMatch(app.output(), /cannot reach|refused/, `${app.name} exported without a failure`);
        }
        console.log(
          `# ${protocol} (${compression}): ${ids.length} sessions whole in Jaeger, their ${ids.length * LOGS_PER_SESSION} ` +
            `log records at the collector; duplicate spans: ${duplicates}, duplicate log records: ${duplicateLogs}`,
        );
      });
    }
  }

  test(
    'collector down, 100 sessions answered, SIGKILL, collector back, restarted: every session arrives whole',
    { timeout: 120_000 },
    async () => {
      assert.ok(stack);
      const dir = journal();
      const env = { OTEL_SESSIONS_JOURNAL_DIR: dir, ...FAST_BATCHES };
      await stack.stopCollector();
      let ids: string[];
      try {
        const first = await apps(env);
        ids = await sessions(first.demoUrl, 100, 'before-kill');
        // The batch delay (200 ms) and a margin: what was answered has left the batch processors.
        await sleep(1500);
        const onDisk = spoolBytes(dir);
        await SIGKILL(first);
        console.log(`# SIGKILL with ${onDisk.files} segment files (${onDisk.spans + onDisk.logs} bytes) in the spools`);
        assert.ok(onDisk.files > 0, 'the batches wait on disk');
      } finally {
        await stack.startCollector();
      }
      const second = await apps(env);
      const duplicates = await waitForWholeSessions(stack.queryUrl, ids, 60_000);
      const duplicateLogs = await waitForLogs(stack, ids, 30_000);
      await waitUntil(() => spoolBytes(dir).files === 0, {
        timeoutMs: 20_000,
        intervalMs: 200,
        what: 'the spools to empty',
      });
      await second.stop(5000);
      console.log(
        `# all ${ids.length} sessions answered before SIGKILL whole in Jaeger after the restart; ` +
          `duplicate spans: ${duplicates}, duplicate log records: ${duplicateLogs}`,
      );
    },
  );

  test(
    'SIGTERM while the collector is down and load continues: ends within 10 s; every answered session arrives',
    { timeout: 120_000 },
    async () => {
      assert.ok(stack);
      const dir = journal();
      const env = { OTEL_SESSIONS_JOURNAL_DIR: dir };
      const first = await apps(env);
      await stack.stopCollector();
      const load = startLoad(first.demoUrl, RATE, 'before-signal');
      let signalledAt = 0;
      let exitedAfterMs = Number.NaN;
      try {
        await sleep(3000);
        process.kill(first.demo.pid, 'SIGTERM');
        signalledAt = Date.now();
        load.setPhase('after-signal');
        await waitUntil(() => first.demo.exitStatus() !== null, {
          timeoutMs: 10_000,
          intervalMs: 20,
          what: 'demo-service to end within 10 s of SIGTERM',
        });
        exitedAfterMs = Date.now() - signalledAt;
        await sleep(500);
      } finally {
        await load.stop();
      }
      assert.deepEqual(first.demo.exitStatus(), { code: null, signal: 'SIGTERM' }, 'ended by the signal');
      const answered = load.samples.filter((s) => s.status === 200 && s.sessionId !== undefined);
      const afterSignal = answered.filter((s) => s.receivedAt >= signalledAt);
      console.log(
        `# demo-service ended ${(exitedAfterMs / 1000).toFixed(1)} s after SIGTERM; ${answered.length} requests answered, ` +
          `${afterSignal.length} of them after the signal; ${load.samples.length - answered.length} refused once it had ended`,
      );
      assert.ok(answered.length >= 2 * RATE, `steady load before the signal: ${answered.length} answered`);
      const ids = answered.map((s) => s.sessionId as string);

      await stack.startCollector();
      // echo-service still runs and sends its part; a new demo-service sends what the old one left.
      const second = await apps(env);
      const duplicates = await waitForWholeSessions(stack.queryUrl, ids, 60_000);
      const duplicateLogs = await waitForLogs(stack, ids, 30_000);
      console.log(
        `# all ${ids.length} answered sessions (${afterSignal.length} answered after SIGTERM) whole in Jaeger once the ` +
          `collector was back and demo-service started again; duplicate spans: ${duplicates}, duplicate log records: ${duplicateLogs}`,
      );
      await Promise.all([first.stop(5000), second.stop(5000)]);
    },
  );

  test(
    'a small spool cap and a long outage: disk stays within the cap; one message names what was dropped',
    { timeout: 120_000 },
    async () => {
      assert.ok(stack);
      const dir = journal();
      const CAP = 300_000;
      const running = await apps({
        OTEL_SESSIONS_JOURNAL_DIR: dir,
        OTEL_SESSIONS_SPOOL_MAX_BYTES: String(CAP),
        ...FAST_BATCHES,
      });
      await stack.stopCollector();
      const load = startLoad(running.demoUrl, 2 * RATE, 'outage');
      let maxSpans = 0;
      let maxLogs = 0;
      try {
        for (let i = 0; i < 60; i++) {
          await sleep(250);
          const bytes = spoolBytes(dir);
          maxSpans = Math.max(maxSpans, bytes.spans);
          maxLogs = Math.max(maxLogs, bytes.logs);
        }
      } finally {
        await load.stop();
      }
      const ids = assertAllAnswered(load.samples);
      await sleep(1000);
      const rss = rssMiB(running.demo.pid);
      console.log(
        `# ${ids.length} sessions during the outage; most on disk: ${maxSpans} bytes of spans, ${maxLogs} bytes of log records ` +
          `(cap ${CAP} per signal, shared by both services' spools in this folder); demo-service VmRSS ${rss?.toFixed(1)} MiB`,
      );
      // Two services write to this folder, each spool capped on its own.
      assert.ok(maxSpans <= 2 * CAP && maxLogs <= 2 * CAP, 'the spools stay within their caps');
      await stack.startCollector();
      const dropped = (pattern: RegExp): number =>
        [...running.demo.output().matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
      await waitUntil(() => spoolBytes(dir).files === 0, {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: 'the spools to empty',
      });
      await running.stop(5000);
      const droppedSpans = dropped(/(\d+) spans (?:for \S+ )?were dropped past the spool's cap/g);
      const droppedLogs = dropped(/(\d+) log records (?:for \S+ )?were dropped past the spool's cap/g);
      const messages = running.demo
        .output()
        .split('\n')
        .filter((line) => line.includes('dropped past'));
      console.log(`# demo-service said:\n${messages.map((line) => `#   ${line}`).join('\n')}`);
      assert.ok(droppedSpans > 0, 'spans were dropped');
      assert.ok(droppedLogs > 0, 'log records were dropped');
      assert.equal(messages.length, 2, 'one message per signal');

      // The spans that reached Jaeger and those the message counts add up to what was made.
      let inJaeger = 0;
      await waitUntil(
        async () => {
          const bySession = await spansBySession(stack?.queryUrl ?? '');
          inJaeger = ids.reduce((sum, id) => sum + (bySession.get(id)?.demo.size ?? 0), 0);
          return inJaeger + droppedSpans >= ids.length * DEMO_SPANS;
        },
        { timeoutMs: 30_000, intervalMs: 1000, what: 'the spans kept to reach Jaeger' },
      );
      console.log(
        `# demo-service spans: ${ids.length * DEMO_SPANS} made, ${inJaeger} in Jaeger, ${droppedSpans} said dropped; ` +
          `${droppedLogs} log records said dropped`,
      );
      assert.equal(inJaeger + droppedSpans, ids.length * DEMO_SPANS, 'the message counts exactly what is missing');
    },
  );
});
