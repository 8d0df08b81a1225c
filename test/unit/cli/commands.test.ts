import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  buildJournal,
  FAILING_SESSION,
  OK_SESSION,
  OTHER_THREAD,
  THREAD,
  WORKER_SESSION,
  type JournalFixture,
} from './journal-fixture.js';
import { runCli } from './run-cli.js';

const ESC = String.fromCharCode(27);
const hasAnsi = (text: string): boolean => text.includes(`${ESC}[`);
let fixture: JournalFixture;

before(async () => {
  fixture = await buildJournal();
});

/** The non-empty lines of the output. */
const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

describe('otel-sessions logs', () => {
  it('prints the error first, then the records in time order with level, message and fields', async () => {
    const { code, out, err } = await runCli(['logs', FAILING_SESSION, '--journal', fixture.dir]);
    assert.equal(code, 0);
    assert.equal(err, '');
    const output = lines(out);
    assert.match(output[0] ?? '', new RegExp(`^session +${FAILING_SESSION}$`));
    assert.match(output[1] ?? '', new RegExp(`^thread +${THREAD}$`));
    assert.match(output[2] ?? '', /^error +Error: search backend down +\(exception in tool\.search at .+Z\)$/);
    assert.match(output[3] ?? '', /^records +3 log records in /);
    assert.match(output[4] ?? '', /^TIME +LEVEL +MESSAGE +FIELDS$/);
    const records = output.slice(5);
    assert.equal(records.length, 3);
    assert.match(
      records[0] ?? '',
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.005Z {2}info {3}chat request received {2}user=alice$/,
    );
    assert.match(records[1] ?? '', /\.030Z {2}warn {3}retrying search {8}attempt=2$/);
    assert.match(records[2] ?? '', /\.045Z {2}error {2}tool failed {12}tool=search$/);
    assert.ok(!hasAnsi(out));
  });

  it('prints --json: the session, its error and its records', async () => {
    const { code, out } = await runCli(['logs', FAILING_SESSION, '--json', '--journal', fixture.dir]);
    assert.equal(code, 0);
    const json = JSON.parse(out);
    assert.deepEqual(Object.keys(json), ['source', 'session', 'error', 'records']);
    assert.deepEqual(json.session, { id: FAILING_SESSION, threadId: THREAD });
    assert.equal(json.error.kind, 'exception');
    assert.equal(json.error.message, 'Error: search backend down');
    assert.deepEqual(
      json.records.map((record: { level: string; message: string }) => [record.level, record.message]),
      [
        ['info', 'chat request received'],
        ['warn', 'retrying search'],
        ['error', 'tool failed'],
      ],
    );
    assert.equal(json.records[0].fields.user, 'alice');
    assert.equal(json.records[0].fields['session.id'], FAILING_SESSION);
    assert.equal(json.records[1].fields.attempt, 2);
    assert.equal(json.records[0].time, new Date(fixture.base + 5).toISOString());
    assert.match(json.records[0].traceId, /^[0-9a-f]{32}$/);
  });

  it('has no error line for a session that went well', async () => {
    const { code, out } = await runCli(['logs', OK_SESSION, '--journal', fixture.dir]);
    assert.equal(code, 0);
    assert.doesNotMatch(out, /^error/m);
    assert.match(out, /info {3}answered {2}tokens=42/);
  });
});

describe('otel-sessions show', () => {
  it('prints the header with metadata and the error, then the span tree', async () => {
    const { code, out } = await runCli(['show', FAILING_SESSION, '--journal', fixture.dir]);
    assert.equal(code, 0);
    const output = lines(out);
    assert.deepEqual(
      output.slice(0, 7).map((line) => line.split(/ {2,}/)[0]),
      ['session', 'thread', 'service', 'start', 'duration', 'status', 'metadata'],
    );
    assert.match(out, /^service +chat-api$/m);
    assert.match(out, /^duration +120\.0 ms$/m);
    assert.match(out, /^status +error$/m);
    assert.match(out, /^metadata +user=alice plan=pro$/m);
    assert.match(output[7] ?? '', /^error +Error: search backend down/);
    const table = output.slice(8);
    assert.match(table[0] ?? '', /^SPAN +START +DURATION +STATUS +DETAILS$/);
    assert.match(table[1] ?? '', /^POST \/chat +\+0 ms +120\.0 ms +ok +http\.method=POST$/);
    assert.match(table[2] ?? '', /^└─ agent\.run +\+10\.0 ms +100\.0 ms +error +tool failed$/);
    assert.match(
      table[3] ?? '',
      /^ {3}└─ tool\.search +\+20\.0 ms +50\.0 ms +error +exception: Error: search backend down {2}tool\.name=search$/,
    );
    // Columns line up.
    assert.equal(new Set(table.slice(1).map((line) => line.indexOf('ms  '))).size, 1);
  });

  it('prints --json: the session summary and the span tree', async () => {
    const { code, out } = await runCli(['show', FAILING_SESSION, '--json', '--journal', fixture.dir]);
    assert.equal(code, 0);
    const json = JSON.parse(out);
    assert.equal(json.session.id, FAILING_SESSION);
    assert.equal(json.session.threadId, THREAD);
    assert.equal(json.session.status, 'ERROR');
    assert.equal(json.session.durationMs, 120);
    assert.deepEqual(json.session.metadata, { user: 'alice', plan: 'pro' });
    assert.equal(json.error.message, 'Error: search backend down');
    assert.equal(json.spans.length, 1);
    const [root] = json.spans;
    assert.equal(root.name, 'POST /chat');
    assert.equal(root.children[0].name, 'agent.run');
    assert.equal(root.children[0].children[0].name, 'tool.search');
    assert.equal(root.children[0].children[0].status, 'ERROR');
    assert.equal(root.children[0].children[0].events[0].name, 'exception');
  });
});

describe('otel-sessions thread', () => {
  it('prints the sessions of the thread, oldest first', async () => {
    const { code, out } = await runCli(['thread', THREAD, '--journal', fixture.dir]);
    assert.equal(code, 0);
    const output = lines(out);
    assert.match(output[0] ?? '', new RegExp(`^thread +${THREAD}$`));
    assert.match(output[1] ?? '', /^sessions +2 sessions, 1 with errors$/);
    assert.match(output[2] ?? '', /^SESSION +START +DURATION +STATUS +ROOT SPAN +ERROR$/);
    assert.match(
      output[3] ?? '',
      new RegExp(`^${FAILING_SESSION}  \\S+Z  120\\.0 ms  error   POST /chat  Error: search backend down$`),
    );
    assert.match(output[4] ?? '', new RegExp(`^${OK_SESSION}  \\S+Z  250\\.0 ms  ok      POST /chat$`));
    assert.equal(output.length, 5);
  });

  it('prints --json', async () => {
    const { out } = await runCli(['thread', OTHER_THREAD, '--json', '--journal', fixture.dir]);
    const json = JSON.parse(out);
    assert.equal(json.threadId, OTHER_THREAD);
    assert.deepEqual(
      json.sessions.map((session: { id: string; service: string }) => [session.id, session.service]),
      [[WORKER_SESSION, 'worker']],
    );
  });
});

describe('otel-sessions list', () => {
  it('prints recent sessions, newest first', async () => {
    const { code, out } = await runCli(['list', '--journal', fixture.dir]);
    assert.equal(code, 0);
    const output = lines(out);
    assert.match(output[0] ?? '', /^SESSION +START +DURATION +STATUS +SERVICE +THREAD +ROOT SPAN$/);
    assert.deepEqual(
      output.slice(1).map((line) => line.split(' ')[0]),
      [WORKER_SESSION, OK_SESSION, FAILING_SESSION],
    );
    assert.match(output[1] ?? '', /3\.50 s {2}ok {6}worker {4}thrd_other\S+ {2}job\.run$/);
  });

  it('filters by --service, --metadata and --since, and limits with --limit', async () => {
    const ids = async (...argv: string[]): Promise<string[]> => {
      const { code, out } = await runCli(['list', '--json', '--journal', fixture.dir, ...argv]);
      assert.equal(code, 0);
      return JSON.parse(out).sessions.map((session: { id: string }) => session.id);
    };
    assert.deepEqual(await ids('--service', 'worker'), [WORKER_SESSION]);
    assert.deepEqual(await ids('--metadata', 'user=alice'), [OK_SESSION, FAILING_SESSION]);
    assert.deepEqual(await ids('--metadata', 'user=alice', '--metadata', 'plan=pro'), [FAILING_SESSION]);
    assert.deepEqual(await ids('--since', '1m'), []);
    assert.deepEqual(await ids('--limit', '1'), [WORKER_SESSION]);
  });

  it('says so when there are no sessions', async () => {
    const { code, out } = await runCli(['list', '--since', '1m', '--journal', fixture.dir]);
    assert.equal(code, 0);
    assert.match(out, /^no sessions since \S+Z in /);
  });
});

describe('colour', () => {
  it('colours on a terminal, the error in red', async () => {
    const { out } = await runCli(['logs', FAILING_SESSION, '--journal', fixture.dir], { isTTY: true });
    assert.ok(out.includes(`${ESC}[31mError: search backend down`));
  });

  it('does not colour when NO_COLOR is set, nor in --json', async () => {
    const noColor = await runCli(['show', FAILING_SESSION, '--journal', fixture.dir], {
      isTTY: true,
      env: { NO_COLOR: '1' },
    });
    assert.ok(!hasAnsi(noColor.out));
    const json = await runCli(['show', FAILING_SESSION, '--json', '--journal', fixture.dir], { isTTY: true });
    assert.ok(!hasAnsi(json.out));
  });
});

describe('the journal folder', () => {
  it('comes from OTEL_SESSIONS_JOURNAL_DIR when --journal is not given', async () => {
    const { code } = await runCli(['show', OK_SESSION], { env: { OTEL_SESSIONS_JOURNAL_DIR: fixture.dir } });
    assert.equal(code, 0);
  });
});
