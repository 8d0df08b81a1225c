// The journal source reads files a window at a time: lines that straddle windows, and a line
// longer than a window, decode as whole lines.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JournalSource } from '../../../../src/cli/sources/journal.js';
import { newSessionId, newThreadId } from '../../../../src/session/ids.js';

function spanLine(sessionId: string, threadId: string, pad: number): string {
  const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [attribute('service.name', 'big')] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: '0af7651916cd43dd8448eb211c80319c',
                spanId: Math.random().toString(16).slice(2, 18).padEnd(16, '0'),
                name: 'POST /chat',
                startTimeUnixNano: String(Date.now() * 1e6),
                endTimeUnixNano: String((Date.now() + 5) * 1e6),
                attributes: [
                  attribute('session.id', sessionId),
                  attribute('session.thread_id', threadId),
                  attribute('padding', 'x'.repeat(pad)),
                ],
              },
            ],
          },
        ],
      },
    ],
  });
}

test('a 13 MiB journal file with a 6 MiB line: every session is found, none is skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-windows-'));
  const threadId = newThreadId();
  const ids = Array.from({ length: 140 }, () => newSessionId());
  const lines = ids.map((id, index) => spanLine(id, threadId, index === 70 ? 6 * 1024 * 1024 : 50_000));
  writeFileSync(join(dir, 'spans-1-1-0001.jsonl'), `${lines.join('\n')}\n`);
  const source = new JournalSource(dir);
  for (const id of [ids[0], ids[69], ids[70], ids[71], ids[139]] as string[]) {
    const spans = await source.sessionSpans(id);
    assert.equal(spans.length, 1, id);
    assert.equal(spans[0]?.attributes['session.id'], id);
  }
  assert.equal((await source.threadSpans(threadId)).length, 140);
  const recent = await source.recentSpans({ sinceMs: 0 });
  assert.equal(recent.length, 140);
  // A listing keeps what a summary reads, not each span's 50 KB of other attributes.
  assert.deepEqual(Object.keys(recent[0]?.attributes ?? {}).sort(), ['session.id', 'session.thread_id']);
  assert.equal(source.skippedLines, 0);
});
