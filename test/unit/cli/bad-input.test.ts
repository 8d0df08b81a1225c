import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  buildJournal,
  FAILING_SESSION,
  UNKNOWN_SESSION,
  UNKNOWN_THREAD,
  type JournalFixture,
} from './journal-fixture.js';
import { runCli } from './run-cli.js';

const STACK = /\n\s+at /;
let fixture: JournalFixture;

before(async () => {
  fixture = await buildJournal();
});

describe('malformed IDs exit 2 with the expected form', () => {
  for (const command of ['logs', 'show']) {
    it(command, async () => {
      const { code, out, err } = await runCli([command, 'sess_x', '--journal', fixture.dir]);
      assert.equal(code, 2);
      assert.equal(out, '');
      assert.equal(
        err,
        'otel-sessions: "sess_x" is not a session ID (expected sess_ followed by 24 characters of A-Z a-z 0-9 _ -)\n',
      );
    });
  }

  it('thread', async () => {
    const { code, err } = await runCli(['thread', 'thrd_!', '--journal', fixture.dir]);
    assert.equal(code, 2);
    assert.equal(
      err,
      'otel-sessions: "thrd_!" is not a thread ID (expected thrd_ followed by 24 characters of A-Z a-z 0-9 _ -)\n',
    );
  });

  it('points at the thread command when given a thread ID', async () => {
    const { code, err } = await runCli(['show', UNKNOWN_THREAD]);
    assert.equal(code, 2);
    assert.match(err, new RegExp(`for a thread, use: otel-sessions thread ${UNKNOWN_THREAD}\\n$`));
  });
});

describe('other bad command lines exit 2 with one line', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['logs'], /logs needs a session ID/],
    [['logs', FAILING_SESSION, '--bogus'], /Unknown option '--bogus'/],
    [['show', FAILING_SESSION, '--follow'], /--follow applies to logs only/],
    [['list', '--since', 'yesterday'], /--since "yesterday" is not a duration/],
    [['list', '--metadata', 'novalue'], /--metadata "novalue" is not key=value/],
    [['list', '--jaeger', 'ftp://x'], /not an http\(s\) URL/],
    [['list', '--jaeger', 'http://x', '--journal', 'y'], /either --journal or --jaeger/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' '), async () => {
      const { code, err } = await runCli(argv);
      assert.equal(code, 2);
      assert.match(err, message);
      assert.equal(err.split('\n').length, 2, 'one line');
    });
  }

  it('--help prints usage and exits 0', async () => {
    const { code, out } = await runCli(['--help']);
    assert.equal(code, 0);
    assert.match(out, /otel-sessions logs sess_…/);
  });
});

describe('unknown IDs exit 1 naming the source (then where else to look)', () => {
  it('logs and show', async () => {
    for (const command of ['logs', 'show']) {
      const { code, out, err } = await runCli([command, UNKNOWN_SESSION, '--journal', fixture.dir]);
      assert.equal(code, 1);
      assert.equal(out, '');
      assert.equal(err.split('\n')[0], `otel-sessions: no session ${UNKNOWN_SESSION} in ${fixture.dir}`);
    }
  });

  it('thread', async () => {
    const { code, err } = await runCli(['thread', UNKNOWN_THREAD, '--journal', fixture.dir]);
    assert.equal(code, 1);
    assert.equal(err.split('\n')[0], `otel-sessions: no thread ${UNKNOWN_THREAD} in ${fixture.dir}`);
  });

  it('a journal folder that does not exist', async () => {
    const missing = join(fixture.dir, 'missing');
    const { code, err } = await runCli(['show', UNKNOWN_SESSION, '--journal', missing]);
    assert.equal(code, 1);
    assert.equal(err.split('\n')[0], `otel-sessions: no session ${UNKNOWN_SESSION} in ${missing}`);
  });
});

describe('corrupt journal lines', () => {
  it('are skipped and counted, never a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-corrupt-'));
    cpSync(fixture.dir, dir, { recursive: true });
    const logFile = readdirSync(dir).find((name) => name.startsWith('logs-'));
    const spanFile = readdirSync(dir).find((name) => name.startsWith('spans-'));
    assert.ok(logFile && spanFile);
    appendFileSync(
      join(dir, logFile),
      `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":"${FAILING_SESSION}\n`,
    );
    appendFileSync(join(dir, logFile), `not json at all ${FAILING_SESSION}\n`);
    // Cut short by a crash: no newline at the end.
    appendFileSync(
      join(dir, spanFile),
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x","attributes":[{"key":"session.id","value":{"stringValue":"${FAILING_SESSION}`,
    );

    const logs = await runCli(['logs', FAILING_SESSION, '--journal', dir]);
    assert.equal(logs.code, 0);
    assert.match(logs.out, /tool failed/);
    assert.equal(logs.err, 'otel-sessions: skipped 3 unreadable journal lines\n');

    const list = await runCli(['list', '--journal', dir]);
    assert.equal(list.code, 0);
    assert.equal(list.err, 'otel-sessions: skipped 1 unreadable journal line\n');
  });
});

describe('Jaeger', () => {
  it('unreachable: exits 1 naming the URL, without a stack trace', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    for (const argv of [['logs', FAILING_SESSION], ['show', FAILING_SESSION], ['list']]) {
      const { code, out, err } = await runCli([...argv, '--jaeger', url]);
      assert.equal(code, 1);
      assert.equal(out, '');
      assert.match(err, new RegExp(`^otel-sessions: cannot reach Jaeger at ${url} \\(ECONNREFUSED\\)\\n$`));
      assert.doesNotMatch(err, STACK);
    }
  });

  it('OTEL_SESSIONS_JAEGER_URL is asked only for what the journal does not have', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const env = { OTEL_SESSIONS_JAEGER_URL: url, OTEL_SESSIONS_JOURNAL_DIR: fixture.dir };
    // In the journal: Jaeger (unreachable here) is not asked.
    const inJournal = await runCli(['show', FAILING_SESSION], { env });
    assert.equal(inJournal.code, 0, inJournal.err);
    assert.match(inJournal.out, /tool failed/);
    // Not in the journal: Jaeger is asked, and the message says where it looked.
    for (const argv of [
      ['show', UNKNOWN_SESSION],
      ['logs', UNKNOWN_SESSION],
      ['thread', UNKNOWN_THREAD],
    ]) {
      const missing = await runCli(argv, { env });
      assert.equal(missing.code, 1);
      assert.equal(
        missing.err,
        `otel-sessions: not found in ${fixture.dir}, and cannot reach Jaeger at ${url} (ECONNREFUSED)\n`,
      );
    }
    // list reads both.
    const list = await runCli(['list'], { env });
    assert.equal(list.code, 1);
    assert.match(list.err, new RegExp(`cannot reach Jaeger at ${url}`));
  });

  it('--journal reads the journal only, whatever OTEL_SESSIONS_JAEGER_URL says', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const env = { OTEL_SESSIONS_JAEGER_URL: url };
    const found = await runCli(['show', FAILING_SESSION, '--journal', fixture.dir], { env });
    assert.equal(found.code, 0);
    const missing = await runCli(['show', UNKNOWN_SESSION, '--journal', fixture.dir], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.err, new RegExp(`^otel-sessions: no session ${UNKNOWN_SESSION} in ${fixture.dir}\n`));
  });

  it('an invalid OTEL_SESSIONS_JAEGER_URL is a usage error', async () => {
    const { code, err } = await runCli(['show', FAILING_SESSION], {
      env: { OTEL_SESSIONS_JAEGER_URL: 'localhost:16686x', OTEL_SESSIONS_JOURNAL_DIR: fixture.dir },
    });
    assert.equal(code, 2);
    assert.match(err, /is not an http\(s\) URL|is not a URL/);
  });
});

describe('not in the journal, and no Jaeger configured', () => {
  it('says where an exported session is, with the exact command', async () => {
    for (const [command, id, kind] of [
      ['show', UNKNOWN_SESSION, 'session'],
      ['logs', UNKNOWN_SESSION, 'session'],
      ['thread', UNKNOWN_THREAD, 'thread'],
    ] as const) {
      const { code, out, err } = await runCli([command, id, '--journal', fixture.dir]);
      assert.equal(code, 1);
      assert.equal(out, '');
      const [first, ...hint] = err.trimEnd().split('\n');
      assert.equal(first, `otel-sessions: no ${kind} ${id} in ${fixture.dir}`);
      const text = hint.join('\n');
      assert.match(text, /exports to a collector \(OTEL_EXPORTER_OTLP_ENDPOINT set\) keeps no journal/);
      assert.ok(text.includes(`    npx otel-sessions ${command} ${id} --jaeger http://localhost:16686\n`), text);
      assert.match(
        text,
        new RegExp(`set OTEL_SESSIONS_JAEGER_URL to look there whenever the journal has no such ${kind}`),
      );
    }
  });

  it('gives no such hint when Jaeger was read', async () => {
    // A Jaeger query API that answers, and has no such session.
    const asked: string[] = [];
    const jaeger = createHttpServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://jaeger.test');
      asked.push(url.pathname === '/api/traces' ? `${url.pathname} ${url.searchParams.get('tags')}` : url.pathname);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ data: url.pathname === '/api/services' ? ['svc'] : [] }));
    });
    await new Promise<void>((resolve) => jaeger.listen(0, '127.0.0.1', resolve));
    try {
      const address = jaeger.address();
      assert.ok(address !== null && typeof address === 'object');
      const url = `http://127.0.0.1:${address.port}`;
      const { code, out, err } = await runCli(['show', UNKNOWN_SESSION, '--jaeger', url]);
      assert.equal(code, 1);
      assert.equal(out, '');
      // One line naming Jaeger as the place looked in: no journal hint after it.
      assert.equal(err, `otel-sessions: no session ${UNKNOWN_SESSION} in ${url}\n`);
      // Jaeger was really read: the session was searched for by its tag.
      assert.ok(asked.includes(`/api/traces {"session.id":"${UNKNOWN_SESSION}"}`), asked.join('\n'));
    } finally {
      await new Promise<void>((resolve) => jaeger.close(() => resolve()));
    }
  });
});

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}
