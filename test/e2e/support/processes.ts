/**
 * Child processes for the end-to-end tests (Jaeger, the collector, demo services) that never
 * outlive the test: each runs in its own process group, and every group still alive is killed
 * when the test process exits or receives SIGINT / SIGTERM / SIGHUP, so a failing or
 * interrupted test leaves nothing behind. (A SIGKILL of the test process itself cannot be
 * caught; Go programs such as Jaeger then die on their next write to the closed output pipe.)
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** What to start. */
export interface ProcessOptions {
  /** Short label for messages, e.g. `jaeger` or `collector`. */
  name: string;
  command: string;
  args?: readonly string[];
  cwd?: string;
  /**
   * Added to the environment. The test process's own `OTEL_*` variables are left out, so a
   * child never inherits an exporter endpoint meant for someone else.
   */
  env?: Record<string, string>;
}

/** A started child process whose output (stdout and stderr, interleaved) is kept in memory. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Everything the process wrote so far. */
  output(): string;
  /** Null while running; the exit code or signal once it has ended. */
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Resolves when the process has ended. */
  readonly exited: Promise<void>;
  /**
   * Ends the whole process group: SIGTERM, then SIGKILL after `graceMs`. Resolves once the
   * process has exited. Safe to call more than once.
   */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ManagedProcess>();
/** What must happen however this test process ends: kill the children, remove their folders. */
const lastWords = new Set<() => void>();
let exitHooksInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function killAllNow(): void {
  for (const child of running) killGroup(child.pid, 'SIGKILL');
  running.clear();
}

/**
 * Runs `cleanup` (synchronous: kill processes, remove folders) when this test process ends,
 * whether normally, on an uncaught error, or on SIGINT, SIGTERM or SIGHUP (`exit` does not fire
 * then): each signal is raised again once every cleanup ran, so its default action still happens.
 */
export function atTestProcessEnd(cleanup: () => void): void {
  lastWords.add(cleanup);
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const runAll = (): void => {
    for (const each of lastWords) each();
  };
  process.on('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      runAll();
      process.off(signal, onSignal);
      // With this listener gone, re-raising lets the default action (or other listeners) run.
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function childEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('OTEL_')) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Starts a process in its own process group; see {@link ManagedProcess}. */
export function startProcess(options: ProcessOptions): ManagedProcess {
  atTestProcessEnd(killAllNow);
  const child: ChildProcess = spawn(options.command, options.args ?? [], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) {
    child.once('error', () => {}); // reported by the throw below instead
    throw new Error(`${options.name}: could not start ${options.command}`);
  }

  const chunks: string[] = [];
  const collect = (chunk: Buffer): void => {
    chunks.push(chunk.toString('utf8'));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.on('error', (error) => chunks.push(`\n[${options.name}: ${error.message}]\n`));

  let status: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      running.delete(managed);
      resolve();
    });
  });

  // Nothing here keeps the test process alive; the exit hook ends whatever is still running.
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();

  const managed: ManagedProcess = {
    name: options.name,
    pid,
    output: () => chunks.join(''),
    exitStatus: () => status,
    exited,
    async stop(graceMs = 5000) {
      if (status !== null) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(managed);
  return managed;
}
