import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isSqliteAvailable } from '../../../src/thread/node-sqlite.js';

const skip = isSqliteAvailable()
  ? false
  : `node:sqlite is not in Node.js ${process.versions.node} (needs 22.13+): run with Node 22 or 24`;

// Meaningful on Node 22, which warns when node:sqlite is first loaded (Node 24 does not warn).
test(
  `making a store prints no SQLite ExperimentalWarning, and other warnings still print (Node ${process.versions.node})`,
  { skip },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-sqlite-warning-'));
    try {
      const store = fileURLToPath(new URL('../../../src/thread/sqlite-thread-store.ts', import.meta.url));
      const script = [
        `const { SqliteThreadStore } = await import(${JSON.stringify(store)});`,
        `await new SqliteThreadStore({ dir: ${JSON.stringify(dir)} }).close();`,
        `process.emitWarning('another experimental thing', 'ExperimentalWarning');`,
      ].join('\n');
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
      });
      assert.equal(child.status, 0, child.stderr);
      assert.doesNotMatch(child.stderr, /SQLite is an experimental feature/);
      assert.match(child.stderr, /ExperimentalWarning: another experimental thing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
