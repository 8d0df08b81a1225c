/**
 * Where one adopter variant's CPU time goes: starts it (as bench/adopter.ts does) with
 * `--cpu-prof`, loads it, then prints its CPU µs per request and the functions, files and
 * packages with the most self time in its profile. A tool for finding costs, not a benchmark
 * with ratios (the profiler itself slows the process down).
 *
 *   node --import tsx bench/profile-adopter.ts [a|b|c|e-a|e-b] [seconds] [continuing|tokenless]   (needs `npm run build`)
 *
 * The variant's stdout goes to /dev/null; its clients continue their threads unless `tokenless`.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conversation, variantProcess } from './adopter.js';
import { Child, childEnv, withChildren } from './support/children.js';
import { load } from './support/load.js';
import { runIfMain } from './support/measure.js';

const SCRIPTS: Record<string, string> = {
  a: 'adopter-bare.ts',
  b: 'adopter-sessions.ts',
  c: 'adopter-agent.ts',
  'e-a': 'adopter-express-bare.ts',
  'e-b': 'adopter-express-sessions.ts',
};

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package, otel-sessions itself, Node's own code, or V8. */
function placeOf(url: string): string {
  if (url === '') return '(v8/native)';
  if (url.startsWith('node:')) return url;
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1]!;
  if (url.includes('/dist/')) return 'otel-sessions';
  if (url.includes('/bench/')) return 'bench app';
  return url;
}

function top(totals: Map<string, number>, all: number, requests: number, count: number): string[] {
  return [...totals]
    .sort((x, y) => y[1] - x[1])
    .slice(0, count)
    .map(
      ([key, micros]) =>
        `${((micros / all) * 100).toFixed(1).padStart(6)} % ${(micros / requests).toFixed(1).padStart(7)} µs/req  ${key}`,
    );
}

/**
 * Prints self time by function and by package, and inclusive time of otel-sessions' and
 * winston's functions, over the profile's last `windowMicros` (the measured load), per request.
 */
export function summarise(profile: Profile, windowMicros: number, requests: number, count = 40): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const places = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let all = 0;
  const total = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0);
  let at = 0;
  const from = total - windowMicros;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at < from) return;
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') return;
    all += delta;
    const short = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|bench)\//, '$1/');
    const key = `${functionName || '(anonymous)'}  ${short}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + delta);
    places.set(placeOf(url), (places.get(placeOf(url)) ?? 0) + delta);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const place = placeOf(frame.url);
      if (place !== 'otel-sessions' && place !== 'winston' && place !== 'logform' && place !== 'winston-transport')
        continue;
      const name = `${frame.functionName || '(anonymous)'}  ${frame.url.replace(/^.*(node_modules|dist)\//, '')}:${frame.lineNumber + 1}`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + delta);
    }
  });
  console.log(
    `self time by place (${(all / 1000).toFixed(0)} ms sampled in the last ${(windowMicros / 1e6).toFixed(1)} s, idle excluded; ${(all / requests).toFixed(0)} µs/req):`,
  );
  for (const line of top(places, all, requests, 25)) console.log(`  ${line}`);
  console.log('self time by function:');
  for (const line of top(self, all, requests, count)) console.log(`  ${line}`);
  console.log('inclusive time of otel-sessions and winston functions:');
  for (const line of top(inclusive, all, requests, count)) console.log(`  ${line}`);
}

export async function main(): Promise<void> {
  const variant = process.argv[2] ?? 'b';
  const seconds = Number(process.argv[3] ?? 10);
  const clients = process.argv[4] === 'tokenless' ? 'tokenless' : 'continuing';
  const script = SCRIPTS[variant];
  if (!script) throw new Error(`profile-adopter: variant must be a, b, c, e-a or e-b, not ${variant}`);
  let window = { micros: 0, requests: 1 };
  const dir = mkdtempSync(join(tmpdir(), 'adopter-prof-'));
  await withChildren(async () => {
    const sink = await Child.start('otlp sink', 'otlp-sink.ts', { env: childEnv({}) });
    const sinkUrl = `http://127.0.0.1:${sink.port}`;
    const { env, execArgv: variantArgv } = variantProcess(
      variant !== 'a' && variant !== 'e-a',
      `${sinkUrl}/profile`,
      sinkUrl,
    );
    const execArgv = ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...variantArgv];
    const child = await Child.start(`(${variant})`, script, { env, execArgv, stdout: 'null' });
    const url = `http://127.0.0.1:${child.port}`;
    const counter = { continued: 0, threaded: 0 };
    await load(url, 2, 10, conversation(counter, clients));
    const before = await child.usage();
    const started = performance.now();
    const result = await load(url, seconds, 10, conversation(counter, clients));
    await child.flush();
    const after = await child.usage();
    console.log(
      `(${variant}, ${clients} clients) under the profiler: ${Math.round(result.rps)} req/s, ${Math.round((after.cpuMicros - before.cpuMicros) / (after.requests - before.requests))} CPU µs/req`,
    );
    window = { micros: (performance.now() - started) * 1000, requests: after.requests - before.requests };
    await child.stop();
    await sink.stop();
  });
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`profile-adopter: no profile was written to ${dir}`);
  console.log(`profile: ${join(dir, file)}`);
  // The window ends where the profile ends, give or take the stop message (a few ms).
  summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile, window.micros, window.requests);
}

runIfMain(import.meta.url, main);
