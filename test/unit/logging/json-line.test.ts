import assert from 'node:assert/strict';
import { test } from 'node:test';
import winston from 'winston';
import { jsonLine } from '../../../src/logging/json-line.js';

const MESSAGE = Symbol.for('message');

/** The line `jsonLine()` writes for a record (as winston's Logger hands it to the format). */
function lineOf(record: Record<string, unknown>): string {
  const info = { level: 'info', message: 'hello', ...record };
  const out = jsonLine().transform(info, {}) as Record<string | symbol, unknown>;
  return String(out[MESSAGE]);
}

test("a record is one JSON line with the same fields as format.json() writes, in the record's key order", () => {
  const record = { requestId: 'r-1', count: 3, nested: { ok: true, list: [1, 'two'] }, gone: undefined };
  const line = lineOf(record);
  assert.equal(
    line,
    '{"level":"info","message":"hello","requestId":"r-1","count":3,"nested":{"ok":true,"list":[1,"two"]}}',
  );
  const theirs = winston.format.json().transform({ level: 'info', message: 'hello', ...record }, {}) as Record<
    string | symbol,
    unknown
  >;
  assert.deepEqual(JSON.parse(line), JSON.parse(String(theirs[MESSAGE])));
});

test('what JSON.stringify refuses is written as format.json() writes it: a BigInt as a string, a cycle as [Circular]', () => {
  assert.deepEqual(JSON.parse(lineOf({ big: 12345678901234567890n })), {
    big: '12345678901234567890',
    level: 'info',
    message: 'hello',
  });
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic['self'] = cyclic;
  assert.deepEqual(JSON.parse(lineOf({ cyclic })), {
    cyclic: { name: 'loop', self: '[Circular]' },
    level: 'info',
    message: 'hello',
  });
});
