/**
 * Shared helpers of the benchmarks: interleaved rounds, medians and ratio printing.
 *
 * Machines here are noisy, so no figure is meaningful on its own: every benchmark runs its
 * variants side by side in one process, interleaved round by round (the order rotates each
 * round), and prints medians and ratios against an anchor measured in the same run.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

/** One thing to measure: `run(n)` does `n` operations (returning a promise if they finish later). */
export interface Variant {
  readonly name: string;
  run(n: number): void | Promise<void>;
}

export interface InterleaveOptions {
  /** Rounds that are timed; the median over them is reported. */
  rounds: number;
  /** Operations per variant per round. */
  perRound: number;
  /**
   * Operations per timed chunk. Between chunks the event loop runs once, untimed, so that
   * batch exports, stream callbacks and timers are not starved (and queues never overflow).
   */
  chunk: number;
  /** Untimed rounds first, to let the JIT settle. @default 2 */
  warmupRounds?: number;
  /**
   * What a chunk's time is: elapsed time (`wall`), or the CPU time of this process over it
   * (`cpu`: user + system, all its threads), which other processes on a shared machine
   * disturb far less. @default 'wall'
   */
  clock?: 'wall' | 'cpu';
}

/** Nanoseconds per operation of each variant, one figure per timed round, by name. */
export type RoundResults = Map<string, number[]>;

/** Runs `variants` interleaved over several rounds and returns ns/op per round. */
export async function interleave(variants: readonly Variant[], options: InterleaveOptions): Promise<RoundResults> {
  const { rounds, perRound, chunk } = options;
  const warmupRounds = options.warmupRounds ?? 2;
  const results: RoundResults = new Map(variants.map((v) => [v.name, []]));
  for (let round = 0; round < warmupRounds + rounds; round++) {
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + round) % variants.length]!;
      const ns = await timeVariant(variant, perRound, chunk, options.clock ?? 'wall');
      if (round >= warmupRounds) results.get(variant.name)!.push(ns / perRound);
    }
  }
  return results;
}

/** Now, in ns: elapsed time, or this process's CPU time. */
function clockNs(clock: 'wall' | 'cpu'): number {
  if (clock === 'wall') return Number(process.hrtime.bigint());
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

async function timeVariant(variant: Variant, total: number, chunk: number, clock: 'wall' | 'cpu'): Promise<number> {
  let elapsed = 0;
  for (let done = 0; done < total; done += chunk) {
    const n = Math.min(chunk, total - done);
    const start = clockNs(clock);
    const pending = variant.run(n);
    if (pending !== undefined) await pending;
    elapsed += clockNs(clock) - start;
    await yieldToEventLoop();
  }
  return elapsed;
}

/** The median of `values` (which must not be empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median ns/op of one variant. */
export function medianOf(results: RoundResults, name: string): number {
  const values = results.get(name);
  if (values === undefined) throw new RangeError(`no results for ${name}`);
  return median(values);
}

/**
 * The median over rounds of the per-round ratio `numerator / denominator`. Variants of one
 * round ran side by side, so a per-round ratio cancels most of the machine's drift.
 */
export function medianRatio(results: RoundResults, numerator: string, denominator: string): number {
  const a = results.get(numerator);
  const b = results.get(denominator);
  if (a === undefined || b === undefined || a.length !== b.length) throw new RangeError('mismatched results');
  return median(a.map((value, i) => value / b[i]!));
}

/** The spread of one variant's rounds, as (max − min) / median, for judging noise. */
export function spread(results: RoundResults, name: string): number {
  const values = results.get(name) ?? [];
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

/** A row of a printed table: a label, a figure, and an optional note. */
export interface Row {
  label: string;
  ns: number;
  note?: string;
}

/** Prints a compact table, e.g. `  bare SDK                      812`. */
export function printTable(title: string, rows: readonly Row[]): void {
  const width = Math.max(...rows.map((row) => row.label.length)) + 2;
  console.log(title);
  for (const row of rows) {
    const figure = Math.round(row.ns).toString().padStart(6);
    console.log(`  ${row.label.padEnd(width)}${figure}${row.note ? `   ${row.note}` : ''}`);
  }
}

/** `value` with two decimals. */
export function fmt(value: number): string {
  return value.toFixed(2);
}

/** `met` or `MISSED` for a figure against its upper bound. */
export function verdict(value: number, target: number): string {
  return value <= target ? `target ≤ ${target}: met` : `target ≤ ${target}: MISSED`;
}

/** Runs `main` when `moduleUrl` is the script node was started with (`node --import tsx bench/x.ts`). */
export function runIfMain(moduleUrl: string, main: () => Promise<void>): void {
  const script = process.argv[1];
  if (script === undefined || pathToFileURL(script).href !== moduleUrl) return;
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

/** Thrown when a benchmark finds that it would measure the wrong thing. */
export class BenchCheckError extends Error {
  override name = 'BenchCheckError';
}
