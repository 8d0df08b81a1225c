import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentRenewals, renewalSlackMs } from '../../../src/thread/recent-renewals.js';

test('the slack is a tenth of the TTL, at most a minute', () => {
  assert.equal(renewalSlackMs(400), 40);
  assert.equal(renewalSlackMs(60 * 60_000), 60_000);
});

test('a thread renewed within the slack is not due; one renewed longer ago, or never, is', () => {
  const renewals = new RecentRenewals(1000);
  renewals.note('thrd_a', 10_000);
  renewals.note('thrd_b', 10_500);
  assert.deepEqual(renewals.due(['thrd_a', 'thrd_b', 'thrd_c'], 10_999), ['thrd_c']);
  assert.deepEqual(renewals.due(['thrd_a', 'thrd_b', 'thrd_c'], 11_000), ['thrd_a', 'thrd_c']);
  renewals.note('thrd_a', 11_000);
  assert.deepEqual(renewals.due(['thrd_a', 'thrd_b'], 11_200), []);
  renewals.forget('thrd_a');
  assert.deepEqual(renewals.due(['thrd_a'], 11_200), ['thrd_a'], 'a destroyed thread is forgotten');
});

test('bounded: past 4,096 threads the least recently renewed are forgotten, and due again', () => {
  const renewals = new RecentRenewals(1000);
  const ids = Array.from({ length: 4097 }, (_, i) => `thrd_${i}`);
  renewals.note(ids[0]!, 0);
  renewals.note(ids[1]!, 0);
  renewals.note(ids[0]!, 0); // renewed again: now the most recent
  for (const id of ids.slice(2)) renewals.note(id, 0);
  assert.deepEqual(renewals.due(ids, 1), [ids[1]]);
});
