/**
 * Runs every benchmark, one after another, in one process: `npm run bench`.
 * Each benchmark file exports `main()`; to add one, import it and append it to BENCHMARKS.
 * Every benchmark verifies what it measures first and throws if it would measure a no-op.
 */
import { main as adopter } from './adopter.js';
import { main as exportSpans } from './export.js';
import { main as httpLoad } from './http-load.js';
import { main as journalLogs } from './journal-logs.js';
import { main as logs } from './logs.js';
import { main as memory } from './memory.js';
import { main as spans } from './spans.js';
import { main as scaling } from './scaling.js';
import { main as threadStores } from './thread-stores.js';

const BENCHMARKS: ReadonlyArray<readonly [name: string, main: () => Promise<void>]> = [
  ['adopter', adopter],
  ['spans', spans],
  ['logs', logs],
  ['journal-logs', journalLogs],
  ['export', exportSpans],
  ['http-load', httpLoad],
  ['thread-stores', threadStores],
  ['scaling', scaling],
  ['memory', memory],
];

console.log(
  `otel-sessions benchmarks (node ${process.version}, ${process.platform}/${process.arch}); ratios are measured side by side, absolute ns are not comparable across machines\n`,
);
for (const [name, main] of BENCHMARKS) {
  try {
    await main();
  } catch (error) {
    console.error(`bench ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    break;
  }
  console.log();
}
