import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createContextKey, propagation, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { LinkedContext } from '../../../src/session/linked-context.js';
import { contextWithSession, getSessionScope } from '../../../src/session/context.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';

const A = createContextKey('test a');
const B = createContextKey('test b');

test('a linked context sees its own entry and those below; setting or deleting makes a new context', () => {
  const below = ROOT_CONTEXT.setValue(A, 'a below').setValue(B, 'b below');
  const linked = LinkedContext.with(below, A, 'a');
  assert.equal(linked.getValue(A), 'a');
  assert.equal(linked.getValue(B), 'b below');

  const deleted = linked.deleteValue(B);
  assert.equal(deleted.getValue(B), undefined, 'deleting hides the value below');
  assert.equal(linked.getValue(B), 'b below', 'the context it was made from is unchanged');
  const set = deleted.setValue(B, 'b again');
  assert.equal(set.getValue(B), 'b again');
  assert.equal(deleted.getValue(B), undefined);
  assert.equal(below.getValue(A), 'a below');
});

test('a long chain is copied into one node that keeps the nearest value of each key and what was deleted', () => {
  const keys = Array.from({ length: 10 }, (_, i) => createContextKey(`key ${i}`));
  let ctx: Context = LinkedContext.with(ROOT_CONTEXT.setValue(A, 'root a'), B, 'b');
  for (let i = 0; i < 100; i++) ctx = ctx.setValue(keys[i % 10]!, i);
  ctx = ctx.deleteValue(B);
  for (let i = 0; i < 40; i++) ctx = ctx.setValue(keys[0]!, `last ${i}`);
  assert.equal(ctx.getValue(keys[0]!), 'last 39');
  for (let k = 1; k < 10; k++) assert.equal(ctx.getValue(keys[k]!), 90 + k, `key ${k}: its last value`);
  assert.equal(ctx.getValue(B), undefined, 'deleted before the copy, still deleted');
  assert.equal(ctx.getValue(A), 'root a', 'the context below the chain is still read');
  assert.ok(depthOf(ctx) < 32, `walks at most 32 links (walked ${depthOf(ctx)})`);
});

test("a session's context, and every context made inside it, adds to its parent without copying it", () => {
  const parent = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ caller: { value: 'x' } }));
  const sessionId = newSessionId();
  const session = contextWithSession(parent, { sessionId, threadId: newThreadId() });
  const span = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 });
  const inside = trace.setSpan(session, span);
  assert.ok(session instanceof LinkedContext);
  assert.ok(inside instanceof LinkedContext, "a span's context inside the session is linked too");
  assert.equal(getSessionScope(inside)?.sessionId, sessionId);
  assert.equal(trace.getSpan(inside), span);
  assert.equal(propagation.getBaggage(inside)?.getEntry('caller')?.value, 'x', 'the baggage kept its entries');
  assert.equal(trace.getSpan(session), undefined);
});

/** How many links a lookup of a missing key walks. */
function depthOf(ctx: Context): number {
  let depth = 0;
  let node: unknown = ctx;
  while (node instanceof LinkedContext) {
    depth++;
    node = (node as unknown as { below: unknown }).below;
  }
  return depth;
}
