import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { FallbackSource } from '../../../../src/cli/sources/fallback.js';
import { JournalSource } from '../../../../src/cli/sources/journal.js';
import {
  buildJournal,
  FAILING_SESSION,
  OK_SESSION,
  THREAD,
  UNKNOWN_SESSION,
  UNKNOWN_THREAD,
  type JournalFixture,
} from '../journal-fixture.js';

let full: JournalFixture;
let copy: JournalFixture;
let empty: string;

before(async () => {
  full = await buildJournal();
  copy = await buildJournal();
  empty = mkdtempSync(join(tmpdir(), 'otel-sessions-empty-'));
});

describe('FallbackSource', () => {
  it('finds a session in the first source that has it, and names that source', async () => {
    const source = new FallbackSource([new JournalSource(empty), new JournalSource(full.dir)]);
    assert.equal(source.description, `${empty} or ${full.dir}`);
    const [spans, logs] = await Promise.all([
      source.sessionSpans(FAILING_SESSION),
      source.sessionLogs(FAILING_SESSION),
    ]);
    assert.deepEqual(spans.map((span) => span.name).sort(), ['POST /chat', 'agent.run', 'tool.search']);
    assert.ok(logs.length > 0);
    assert.equal(source.description, full.dir);
  });

  it('stops at the first source that has the session', async () => {
    const source = new FallbackSource([new JournalSource(full.dir), new JournalSource(copy.dir)]);
    const spans = await source.sessionSpans(OK_SESSION);
    assert.ok(spans.length > 0);
    assert.equal(source.description, full.dir);
    // Both journals hold the session; spans of one journal only were read.
    assert.equal(new Set(spans.map((span) => span.traceId)).size, 1);
  });

  it('finds a thread in the first source that has it', async () => {
    const source = new FallbackSource([new JournalSource(empty), new JournalSource(full.dir)]);
    assert.ok((await source.threadSpans(THREAD)).length > 0);
    assert.equal(source.description, full.dir);
  });

  it('answers nothing, naming every source, when none has the session or thread', async () => {
    const source = new FallbackSource([new JournalSource(empty), new JournalSource(full.dir)]);
    assert.deepEqual(await source.sessionSpans(UNKNOWN_SESSION), []);
    assert.deepEqual(await source.sessionLogs(UNKNOWN_SESSION), []);
    assert.deepEqual(await source.threadSpans(UNKNOWN_THREAD), []);
    assert.equal(source.description, `${empty} or ${full.dir}`);
  });

  it('lists the sessions of all sources, each span once', async () => {
    const since = { sinceMs: full.base - 60_000 };
    const one = await new JournalSource(full.dir).recentSpans(since);
    const other = await new JournalSource(copy.dir).recentSpans(since);
    const both = await new FallbackSource([new JournalSource(full.dir), new JournalSource(copy.dir)]).recentSpans(
      since,
    );
    assert.equal(both.length, one.length + other.length);
    const twice = await new FallbackSource([new JournalSource(full.dir), new JournalSource(full.dir)]).recentSpans(
      since,
    );
    assert.equal(twice.length, one.length);
  });
});
