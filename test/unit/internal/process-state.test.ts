import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processPart } from '../../../src/internal/process-state.js';

test("one object on globalThis under Symbol.for('otel-sessions.process') holds every part, made once", () => {
  let made = 0;
  const first = processPart('spools', () => ({ made: ++made }));
  const again = processPart('spools', () => ({ made: ++made }));
  assert.equal(again, first);
  assert.equal(made, 1);
  const slot = (globalThis as Record<symbol, unknown>)[Symbol.for('otel-sessions.process')] as Record<string, unknown>;
  assert.equal(slot.spools, first);
});

test('another copy of the module (the other build) sees the same parts', async () => {
  const part = processPart('handle', () => ({ from: 'this copy' }));
  // A second instance of the module, as the CommonJS build beside the ESM one would be.
  const other = (await import(`../../../src/internal/process-state.ts?copy=${Date.now()}`)) as {
    processPart: typeof processPart;
  };
  assert.notEqual(other.processPart, processPart, 'a second module instance');
  assert.equal(
    other.processPart('handle', () => ({ from: 'the other copy' })),
    part,
  );
});
