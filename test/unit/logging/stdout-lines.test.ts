import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

/** Runs `body` (ES module code, with `createLogger` imported) in a child process; its stdout and stderr. */
function run(body: string): { stdout: string; stderr: string; status: number | null } {
  const source = `import { createLogger } from ${JSON.stringify(new URL('../../../src/logging/create-logger.ts', import.meta.url).href)};\n${body}`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { stdout: child.stdout, stderr: child.stderr, status: child.status };
}

test("one turn's lines go out in one stdout write, in order, after the turn's own console.log lines", () => {
  const { stdout, stderr, status } = run(`
    const writes = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk, ...rest) => { writes.push(String(chunk)); return write(chunk, ...rest); };
    const logger = createLogger();
    logger.info('first', { n: 1 });
    logger.warn('second', { n: 2 });
    console.log('plain line');
    setImmediate(() => {
      setImmediate(() => {
        logger.info('next turn');
        setImmediate(() => setImmediate(() => console.error(JSON.stringify(writes))));
      });
    });
  `);
  assert.equal(status, 0, stderr);
  const writes = JSON.parse(stderr.trim().split('\n').at(-1) ?? '[]') as string[];
  assert.equal(writes.length, 3, `writes: ${JSON.stringify(writes)}`);
  assert.equal(writes[0], 'plain line\n');
  const [first, second] = (writes[1] ?? '')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual([first?.message, first?.level, first?.n], ['first', 'info', 1]);
  assert.deepEqual([second?.message, second?.level, second?.n], ['second', 'warn', 2]);
  assert.equal((JSON.parse(writes[2] ?? '{}') as Record<string, unknown>).message, 'next turn');
  assert.equal(stdout.split('\n').filter(Boolean).length, 4);
});

test('lines logged just before process.exit() are written', () => {
  const { stdout, stderr, status } = run(`
    const logger = createLogger();
    logger.info('last words');
    process.exit(3);
  `);
  assert.equal(status, 3, stderr);
  assert.equal((JSON.parse(stdout.trim()) as Record<string, unknown>).message, 'last words');
});

test('lines logged before an uncaught error are written', () => {
  const { stdout, status } = run(`
    const logger = createLogger();
    logger.error('about to fail');
    throw new Error('boom');
  `);
  assert.equal(status, 1);
  assert.equal((JSON.parse(stdout.trim()) as Record<string, unknown>).message, 'about to fail');
});

test("each line's timestamp is the ISO time it was written at, to the millisecond", () => {
  const { stdout, stderr, status } = run(`
    const logger = createLogger();
    const before = Date.now();
    logger.info('first');
    logger.info('same millisecond, or the next');
    const wait = Date.now() + 3;
    while (Date.now() < wait);
    logger.info('later');
    const after = Date.now();
    setImmediate(() => console.error(JSON.stringify({ before, after })));
  `);
  assert.equal(status, 0, stderr);
  const { before, after } = JSON.parse(stderr.trim().split('\n').at(-1) ?? '{}') as { before: number; after: number };
  const times = stdout
    .trimEnd()
    .split('\n')
    .map((line) => String((JSON.parse(line) as { timestamp: unknown }).timestamp));
  assert.equal(times.length, 3);
  for (const time of times) assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const ms = times.map((time) => Date.parse(time));
  assert.ok(ms[0]! >= before && ms[2]! <= after, `${times.join(' ')} within ${before}..${after}`);
  assert.ok(ms[2]! >= ms[0]! + 3, `the later line has a later time: ${times.join(' ')}`);
});
