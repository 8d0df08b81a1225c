import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logs } from '@opentelemetry/api';
import { withSession } from '../../../src/session/context.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { installTestTelemetry } from '../../support/otel.js';

const telemetry = installTestTelemetry();

test('any bridge that emits OTel log records inside a session gets both IDs on them', async () => {
  telemetry.logs.reset();
  const ids = { sessionId: newSessionId(), threadId: newThreadId() };
  const otherBridge = logs.getLogger('some-other-bridge'); // as pino's or console's bridge would
  await withSession(ids, async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    otherBridge.emit({ body: 'from elsewhere', severityText: 'info' });
  });
  otherBridge.emit({ body: 'outside' });
  const [inside, outside] = telemetry.logs.getFinishedLogRecords();
  assert.equal(inside?.attributes['session.id'], ids.sessionId);
  assert.equal(inside?.attributes['session.thread_id'], ids.threadId);
  assert.equal(outside?.attributes['session.id'], undefined);
});
