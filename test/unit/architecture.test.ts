import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { test } from 'node:test';

const SRC = join(import.meta.dirname, '../../src');

/**
 * The floors of `src/`, highest first. A file may import from its own room and from the rooms
 * of lower floors, never from a higher floor nor from another room of its own floor: the
 * runtime is made above everything that uses it and handed down (the lower floors define what
 * they need of it: `session/sessions-runtime.ts`). Documented in docs/development.md.
 */
const FLOORS: ReadonlyArray<readonly string[]> = [
  // src/*.ts: the package's entry points.
  ['(entry)'],
  // The otel-sessions command (flush-spool settles the app's destination as the app does).
  ['cli'],
  // Settings, the runtime and the process's holder, sessionsConfiguration, registerSessions.
  ['runtime'],
  // createAgent (its validator is Hono middleware: it names Hono's types).
  ['agent'],
  // The adapters: Hono's sessions(), the Express, Fastify and Koa idioms.
  ['hono', 'frameworks'],
  // Where a request becomes a session: the session edge and its node:http adapter.
  ['edge'],
  // What the SDK runs: span and log processors, winston logging, exporters.
  ['processors', 'logging', 'export'],
  // A session's life: IDs, context, Session, the runner, and the runtime contract it runs with.
  ['session'],
  // Threads and their stores.
  ['thread'],
  // Helpers with no knowledge of sessions.
  ['internal'],
];

const floorOf = new Map(FLOORS.flatMap((rooms, floor) => rooms.map((room) => [room, floor] as const)));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(dir, file));
}

/** The room of a file below src/: its first folder, or `(entry)` for a file at the root. */
function roomOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length === 1 ? '(entry)' : (parts[0] ?? '(entry)');
}

/** The relative modules a file imports or re-exports (static, side-effect and dynamic imports, types included). */
function importsOf(text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms),
    ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((match) => match[1] ?? '');
  return [...new Set(specifiers.filter((specifier) => specifier.startsWith('.')))];
}

const files = sourceFiles(SRC);

test('every room of src/ is on a floor', () => {
  const rooms = new Set(files.map(roomOf));
  assert.deepEqual(
    [...rooms].filter((room) => !floorOf.has(room)),
    [],
    'a new room goes on a floor in FLOORS',
  );
  assert.ok(rooms.has('runtime') && rooms.has('session'), 'the test reads src/');
});

test('no import runs back up a floor, nor across rooms of one floor', () => {
  const wrong: string[] = [];
  let seen = 0;
  for (const file of files) {
    const room = roomOf(file);
    const floor = floorOf.get(room) ?? -1;
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      seen++;
      const target = roomOf(join(dirname(file), specifier));
      if (target === room) continue;
      const targetFloor = floorOf.get(target) ?? -1;
      if (targetFloor <= floor) wrong.push(`${relative(SRC, file)} imports ${specifier} (${room} -> ${target})`);
    }
  }
  assert.ok(seen > 200, `read the imports (${seen})`);
  assert.deepEqual(wrong, []);
});

test('nothing below src/runtime imports it', () => {
  const runtimeFloor = floorOf.get('runtime') ?? -1;
  const below = files.filter((file) => (floorOf.get(roomOf(file)) ?? -1) > runtimeFloor);
  const upward = below.flatMap((file) =>
    importsOf(readFileSync(file, 'utf8'))
      .filter((specifier) => roomOf(join(dirname(file), specifier)) === 'runtime')
      .map((specifier) => `${relative(SRC, file)} imports ${specifier}`),
  );
  assert.ok(below.some((file) => roomOf(file) === 'agent'));
  assert.deepEqual(upward, []);
});

test('the floor rule sees every kind of import', () => {
  const text = [
    "import type { A } from '../runtime/a.js';",
    'import {',
    '  b,',
    "} from '../runtime/b.js';",
    "export { c } from './c.js';",
    "import './d.js';",
    "const e = await import('../runtime/e.js');",
    "import { f } from 'some-package';",
  ].join('\n');
  assert.deepEqual(importsOf(text), ['../runtime/a.js', '../runtime/b.js', './c.js', './d.js', '../runtime/e.js']);
});

test("process-wide state has one global slot, Symbol.for('otel-sessions.process'); other symbols are keys", () => {
  const found = new Map<string, string[]>();
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/Symbol\.for\('(otel-sessions\.[^']*)'\)/g)) {
      const name = match[1] ?? '';
      const where = found.get(name) ?? [];
      if (!where.includes(relative(SRC, file))) found.set(name, [...where, relative(SRC, file)]);
    }
  }
  assert.deepEqual(Object.fromEntries([...found].sort(([a], [b]) => a.localeCompare(b))), {
    // Marks the server prototypes whose emit is patched.
    'otel-sessions.http-edge.patched': [join('edge', 'node-http-edge.ts')],
    // The key of a log entry's context.
    'otel-sessions.log-context': [join('logging', 'session-format.ts')],
    // The one slot.
    'otel-sessions.process': [join('internal', 'process-state.ts')],
    // The context key of the session scope.
    'otel-sessions.scope': [join('session', 'context.ts')],
    // The brand of Session objects.
    'otel-sessions.session': [join('session', 'session.ts')],
  });
});
