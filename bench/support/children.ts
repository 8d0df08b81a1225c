/**
 * The processes a load benchmark forks (bench/apps/*), speaking bench/apps/protocol.ts:
 * started with `fork`, asked for `flush`, `counts` and `usage` over IPC, stopped at the end,
 * and killed on the way out whatever happens (`withChildren`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage, SinkCounts } from '../apps/protocol.js';
import { BenchCheckError } from './measure.js';

/** How a child is started. */
export interface ChildOptions {
  /** Environment of the child. */
  env: NodeJS.ProcessEnv;
  /** Node options before the script. @default ['--import', 'tsx'] */
  execArgv?: string[];
  /**
   * Where the child's stdout goes: the parent's own (`inherit`), a pipe the parent reads
   * and discards, counting the bytes (`drain`), or /dev/null (`null`: no reader on the
   * machine's cores, as a service whose logs go to a file or a journald socket). @default 'inherit'
   */
  stdout?: 'inherit' | 'drain' | 'null';
}

const STDOUT = { inherit: 'inherit', drain: 'pipe', null: 'ignore' } as const;

/** CPU time and requests served by a child since it started. */
export interface Usage {
  cpuMicros: number;
  requests: number;
}

/** A forked process of bench/apps/ speaking bench/apps/protocol.ts. */
export class Child {
  private nextId = 0;
  private readonly waiting = new Map<number, (message: ChildMessage) => void>();
  private exited = false;
  /** Bytes the child wrote to stdout, when it is drained. */
  stdoutBytes = 0;

  private constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
    readonly port: number,
  ) {
    proc.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') return;
      this.waiting.get(message.id)?.(message);
      this.waiting.delete(message.id);
    });
    proc.once('exit', () => (this.exited = true));
    proc.stdout?.on('data', (chunk: Buffer) => (this.stdoutBytes += chunk.length));
  }

  /** Forks `bench/apps/<script>` and waits until it says it is ready. */
  static async start(name: string, script: string, options: ChildOptions): Promise<Child> {
    const path = fileURLToPath(new URL(`../apps/${script}`, import.meta.url));
    const child = fork(path, [], {
      execArgv: options.execArgv ?? ['--import', 'tsx'],
      // A journal folder of its own (thread store, spool, secret), fresh for each run: not the
      // project's .otel-sessions, whose threads and unsent batches earlier runs left behind.
      env: {
        OTEL_SESSIONS_JOURNAL_DIR: mkdtempSync(join(journalRoot(), `${script.replace(/\W/g, '-')}-`)),
        ...options.env,
      },
      stdio: ['ignore', STDOUT[options.stdout ?? 'inherit'], 'inherit', 'ipc'],
    });
    live.add(child);
    child.once('exit', () => live.delete(child));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BenchCheckError(`${name} did not start within 30 s`)), 30_000);
      child.on('message', (message: ChildMessage) => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        resolve(message.port);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new BenchCheckError(`${name} exited before listening (${signal ?? `code ${code}`})`));
      });
    });
    return new Child(name, child, port);
  }

  /** Sends a request and waits for its answer. */
  private ask(type: 'flush' | 'counts' | 'usage'): Promise<ChildMessage> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new BenchCheckError(`${this.name} did not answer ${type}`)), 15_000);
      this.waiting.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      this.proc.send({ type, id } satisfies ParentMessage);
    });
  }

  /** Exports every span and log record the child has ended. */
  async flush(): Promise<void> {
    const answer = await this.ask('flush');
    if (answer.type === 'flushed' && answer.error)
      throw new BenchCheckError(`${this.name}: flush failed: ${answer.error}`);
  }

  /** The sink's counts, by variant (only the sink answers this). */
  async counts(): Promise<Record<string, SinkCounts>> {
    const answer = await this.ask('counts');
    if (answer.type !== 'counts') throw new BenchCheckError(`${this.name}: unexpected answer ${answer.type}`);
    return answer.counts;
  }

  /** The child's CPU time (`process.cpuUsage()`, user + system) and requests served so far. */
  async usage(): Promise<Usage> {
    const answer = await this.ask('usage');
    if (answer.type !== 'usage') throw new BenchCheckError(`${this.name}: unexpected answer ${answer.type}`);
    return { cpuMicros: answer.cpuMicros, requests: answer.requests };
  }

  /** Asks the process to exit, then kills it if it has not within 2 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    if (this.proc.connected) this.proc.send({ type: 'stop' } satisfies ParentMessage);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Every child still running: killed on the way out, whatever happens. */
const live = new Set<ChildProcess>();

/** The folder of this run's children's journal folders, removed when `withChildren` ends. */
let journals: string | undefined;
function journalRoot(): string {
  return (journals ??= mkdtempSync(join(tmpdir(), 'otel-sessions-bench-')));
}
function killLive(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Runs `body`, killing every child still running when it ends, throws, or the process is interrupted. */
export async function withChildren(body: () => Promise<void>): Promise<void> {
  const onSignal = (): void => {
    killLive();
    process.exit(130);
  };
  process.once('exit', killLive);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await body();
  } finally {
    killLive();
    if (journals !== undefined) rmSync(journals, { recursive: true, force: true });
    journals = undefined;
    process.removeListener('exit', killLive);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** The environment for children: this one without any `OTEL_*` variable, plus `extra`. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_'))),
    ...extra,
  };
}
