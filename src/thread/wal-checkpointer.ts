import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints the WAL, in ms. */
const CHECKPOINT_INTERVAL_MS = 250;
/**
 * WAL pages after which the store's own connection checkpoints anyway (SQLite's default is
 * 1,000): a backstop should the worker fall behind, about 40 MiB of WAL.
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000;
/** SQLite's own default, which the store's connection goes back to when the worker fails. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1_000;

// The worker's code: CommonJS with nothing to import but Node's own modules, so that it runs
// alike from the ESM and CommonJS builds and under a TypeScript loader. It opens its own
// connection to the file and checkpoints passively on a timer (copying committed WAL pages
// into the database file without waiting for, or blocking, readers and writers); the disk
// syncs of a checkpoint then hold this thread, not the event loop. It posts a failure's
// message, and stops when told.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// Node 22's ExperimentalWarning for node:sqlite: this thread runs nothing else.
process.emitWarning = () => {};
const failed = (error) => parentPort.postMessage(String((error && error.message) || error));
let db;
let timer;
try {
  db = new (process.getBuiltinModule('node:sqlite').DatabaseSync)(workerData.path);
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  timer = setInterval(() => {
    try {
      checkpoint.get();
    } catch (error) {
      // Another process's checkpoint holds the file: the next tick tries again.
      if (/busy|locked/i.test(String(error && error.message))) return;
      clearInterval(timer);
      failed(error);
    }
  }, workerData.intervalMs);
} catch (error) {
  failed(error);
}
parentPort.once('message', () => {
  clearInterval(timer);
  if (db) db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints a SQLite file's WAL from a worker thread with a connection of its own, so that
 * the store's connection (on the event loop) only appends to the WAL. Started by
 * `SqliteThreadStore`, which sets its own connection's autocheckpoint to a backstop. The
 * thread does not keep the process alive. @internal
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  /** Stopped: by close(), or because it failed. */
  private stopped = false;

  /**
   * @param path the database file.
   * @param onFailure called once, with the reason, if the worker cannot checkpoint or ends
   *   before close() (it is stopped then); must not throw.
   */
  constructor(path: string, onFailure: (reason: string) => void) {
    const fail = (reason: string): void => {
      if (this.stopped) return;
      this.stopped = true;
      onFailure(reason);
      void this.worker.terminate();
    };
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS },
      // Not the process's own flags: `--import otel-sessions/register` must not run in it.
      execArgv: [],
    });
    this.worker.on('message', (reason: string) => fail(reason));
    this.worker.on('error', (error: Error) => fail(error.message));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        fail(`its worker thread ended (exit code ${code})`);
        resolve();
      }),
    );
    this.worker.unref();
  }

  /** Stops the worker; its connection is closed first, unless it hangs past a second. */
  async close(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      // Held by the worker until it exits: a process awaiting close() does not end before it.
      this.worker.ref();
      this.worker.postMessage('close');
    }
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
    await Promise.race([this.exited, timeout]);
    await this.worker.terminate();
  }
}
