// The public API, drawn on purpose: each entry exports exactly the names listed in
// test/support/public-api.ts, and package.json and typedoc.json name the same entries.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { test } from 'node:test';
import { ENTRY_SOURCES, PUBLIC_EXPORTS, type EntrySubpath } from '../support/public-api.js';

const root = new URL('../../', import.meta.url);
const readJson = (file: string): unknown => JSON.parse(readFileSync(new URL(file, root), 'utf8'));

const modules: Record<Exclude<EntrySubpath, './register'>, () => Promise<object>> = {
  '.': () => import('../../src/index.js'),
  './sdk': () => import('../../src/sdk.js'),
  './hono': () => import('../../src/hono.js'),
  './express': () => import('../../src/express.js'),
  './fastify': () => import('../../src/fastify.js'),
  './koa': () => import('../../src/koa.js'),
};

for (const [subpath, load] of Object.entries(modules)) {
  test(`otel-sessions${subpath.slice(1)} exports exactly its listed names`, async () => {
    const names = Object.keys(await load()).sort();
    assert.deepEqual(names, [...PUBLIC_EXPORTS[subpath as EntrySubpath]].sort());
  });
}

test('otel-sessions/register exports nothing (importing it registers sessions, so it is read, not run)', () => {
  const source = readFileSync(new URL(ENTRY_SOURCES['./register'], root), 'utf8');
  assert.doesNotMatch(source, /^\s*export\b/m);
  assert.deepEqual(PUBLIC_EXPORTS['./register'], []);
});

test('no name is exported by two entries (types aside)', () => {
  const seen = new Map<string, string>();
  for (const [subpath, names] of Object.entries(PUBLIC_EXPORTS)) {
    for (const name of names) {
      assert.equal(seen.get(name), undefined, `${name} is exported by ${seen.get(name)} and ${subpath}`);
      seen.set(name, subpath);
    }
  }
});

test('package.json "exports" has each entry, with types, import and require, and nothing else but package.json', () => {
  const { exports } = readJson('package.json') as { exports: Record<string, unknown> };
  assert.deepEqual(Object.keys(exports).sort(), [...Object.keys(PUBLIC_EXPORTS), './package.json'].sort());
  for (const subpath of Object.keys(PUBLIC_EXPORTS) as EntrySubpath[]) {
    const name = basename(ENTRY_SOURCES[subpath], '.ts');
    assert.deepEqual(exports[subpath], {
      types: `./dist/esm/${name}.d.ts`,
      import: `./dist/esm/${name}.js`,
      require: `./dist/cjs/${name}.js`,
    });
  }
});

test('typedoc.json documents every entry', () => {
  const { entryPoints } = readJson('typedoc.json') as { entryPoints: string[] };
  const documented = Object.entries(ENTRY_SOURCES).map(([, source]) => source);
  assert.deepEqual([...entryPoints].sort(), documented.sort());
});
