/**
 * Throughput as processes are added (issue 29): the guide's shape (bench/apps/adopter-agent.ts:
 * `sessions()`, an agent that pushes each message onto thread state and logs twice) in 1 and
 * 2 worker processes of node:cluster (bench/apps/cluster.ts; the primary hands connections out
 * in turn), over the default SQLite store (one file shared by the workers) and over Redis (a
 * real redis-server on loopback), exporting OTLP/JSON to the bench's sink. Clients continue
 * their threads (the thread cookie sent back), 10 connections.
 *
 * Prints req/s, p99 and CPU µs per request (workers and primary) for each, the scaling factor
 * (2 processes ÷ 1, the median of per-round ratios) and the load generator's own CPU per
 * request: on a 2-core machine, it and Redis share the cores with the workers, so the factor
 * cannot reach 2 here; the CPU per request says what a core more would give.
 *
 *   node --import tsx bench/scaling.ts   (or `npm run bench` for every benchmark; needs `npm run build`)
 */
import { spawnSync } from 'node:child_process';
import { startRedis, type RedisServer } from '../test/e2e/support/redis.js';
import { conversation, variantProcess } from './adopter.js';
import { Child, childEnv, withChildren, type Usage } from './support/children.js';
import { load } from './support/load.js';
import { fmt, median, medianRatio, runIfMain, type RoundResults } from './support/measure.js';

const ROUNDS = Number(process.env.SCALING_ROUNDS ?? 4);
const DURATION_S = 5;
const WARMUP_S = 3;
const CONNECTIONS = 10;

type Store = 'sqlite' | 'redis';

interface Variant {
  readonly label: string;
  readonly store: Store;
  readonly workers: number;
  child: Child;
  url: string;
}

export async function main(): Promise<void> {
  if (spawnSync('redis-server', ['--version']).error) {
    console.log('scaling: skipped (redis-server is not installed: bash scripts/setup-redis.sh)');
    return;
  }
  let redis: RedisServer | undefined;
  try {
    redis = await startRedis();
    const url = redis.url;
    await withChildren(() => run(url));
  } finally {
    await redis?.close();
  }
}

async function run(redisUrl: string): Promise<void> {
  const sink = await Child.start('otlp sink', 'otlp-sink.ts', { env: childEnv({}) });
  const sinkUrl = `http://127.0.0.1:${sink.port}`;
  const variants: Variant[] = [];
  try {
    for (const store of ['sqlite', 'redis'] as const)
      for (const workers of [1, 2]) {
        const label = `${store}, ${workers} process${workers > 1 ? 'es' : ''}`;
        const { env, execArgv } = variantProcess(true, `${sinkUrl}/scaling-${store}-${workers}`, sinkUrl);
        Object.assign(env, {
          BENCH_WORKERS: String(workers),
          BENCH_WORKER_SCRIPT: 'adopter-agent.ts',
          BENCH_WORKER_EXEC_ARGV: JSON.stringify(execArgv),
          ...(store === 'redis' ? { OTEL_SESSIONS_REDIS_URL: redisUrl } : {}),
        });
        const child = await Child.start(label, 'cluster.ts', { env, execArgv: ['--import', 'tsx'], stdout: 'null' });
        variants.push({ label, store, workers, child, url: `http://127.0.0.1:${child.port}` });
      }
    const counter = { continued: 0, threaded: 0 };
    const requests = conversation(counter);
    for (const variant of variants) await load(variant.url, WARMUP_S, CONNECTIONS, requests);

    const rps: RoundResults = new Map(variants.map((v) => [v.label, []]));
    const p99: RoundResults = new Map(variants.map((v) => [v.label, []]));
    const cpu: RoundResults = new Map(variants.map((v) => [v.label, []]));
    const client: RoundResults = new Map(variants.map((v) => [v.label, []]));
    let failures = 0;
    for (let round = 0; round < ROUNDS; round++)
      for (const variant of variants) {
        const before: Usage = await variant.child.usage();
        const clientBefore = process.cpuUsage();
        const result = await load(variant.url, DURATION_S, CONNECTIONS, requests);
        const clientCpu = process.cpuUsage(clientBefore);
        await variant.child.flush();
        const after: Usage = await variant.child.usage();
        const served = Math.max(1, after.requests - before.requests);
        rps.get(variant.label)!.push(result.rps);
        p99.get(variant.label)!.push(result.p99);
        cpu.get(variant.label)!.push((after.cpuMicros - before.cpuMicros) / served);
        client.get(variant.label)!.push((clientCpu.user + clientCpu.system) / served);
        failures += result.non2xx + result.errors;
      }

    console.log(
      `scaling: the guide's agent (thread state push) in 1 and 2 node:cluster workers, autocannon ${CONNECTIONS} connections, threads continued, ${ROUNDS} interleaved rounds of ${DURATION_S} s (medians); this machine has ${navigatorCores()} cores`,
    );
    const width = Math.max(...variants.map((v) => v.label.length)) + 2;
    console.log(
      `  ${''.padEnd(width)}${'req/s'.padStart(7)}${'p99 ms'.padStart(8)}${'CPU µs/req'.padStart(12)}${'load generator µs/req'.padStart(23)}`,
    );
    for (const { label } of variants)
      console.log(
        `  ${label.padEnd(width)}${Math.round(median(rps.get(label)!))
          .toString()
          .padStart(7)}${fmt(median(p99.get(label)!)).padStart(8)}${Math.round(median(cpu.get(label)!))
          .toString()
          .padStart(12)}${Math.round(median(client.get(label)!))
          .toString()
          .padStart(23)}`,
      );
    for (const store of ['sqlite', 'redis'] as const) {
      const one = variants.find((v) => v.store === store && v.workers === 1)!.label;
      const two = variants.find((v) => v.store === store && v.workers === 2)!.label;
      console.log(
        `  ${store}: 2 processes ÷ 1: req/s ${fmt(medianRatio(rps, two, one))}   CPU µs/req ${fmt(medianRatio(cpu, two, one))}`,
      );
    }
    console.log(`  non-2xx responses and errors: ${failures}`);
    if (counter.continued < counter.threaded * 0.99) console.log('  warning: threads did not always continue');
  } finally {
    await Promise.allSettled([...variants.map((v) => v.child.stop()), sink.stop()]);
  }
}

function navigatorCores(): number {
  return globalThis.navigator?.hardwareConcurrency ?? 0;
}

runIfMain(import.meta.url, main);
