import { diag } from '@opentelemetry/api';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OtlpEncoding } from './otlp-exporters.js';

/**
 * Spool file names: `<start>-<pid>-<seq>-<count>.otlp.<json|pb>`, where `start` (13 digits, ms)
 * and `pid` name the spool that wrote it, `seq` counts its batches and `count` is how many
 * spans or log records it holds; the extension says the encoding (OTLP JSON or protobuf). A file claimed by another process for sending gets
 * `~<start>-<pid>` of its claimer appended; its owner is then the claimer.
 */
const SPOOL_FILE = /^(\d{13})-(\d+)-(\d{10})-(\d+)\.otlp\.(json|pb)(?:~(\d{13})-(\d+))?$/;
const TEMP_SUFFIX = '.tmp';

/** One batch on disk. @internal */
export interface SpoolFile {
  /** The file's name in the spool folder. */
  name: string;
  /** Its size in bytes. */
  bytes: number;
  /** Spans or log records it holds. */
  count: number;
  /** How the batch is encoded. */
  encoding: OtlpEncoding;
}

// Start stamps of the spools open in this process, shared by the ESM and CommonJS builds.
const OPEN_KEY = Symbol.for('otel-sessions.open-spools');
function openSpools(): { stems: Set<string>; lastStart: number } {
  const holder = globalThis as { [OPEN_KEY]?: { stems: Set<string>; lastStart: number } };
  return (holder[OPEN_KEY] ??= { stems: new Set(), lastStart: 0 });
}

/**
 * The folder of one signal's spool: each batch one file, written whole (to a temporary name,
 * then renamed) before the batch is acknowledged, removed once the collector accepted it.
 * Synchronous writes: a batch acknowledged is in the page cache, so a process killed with
 * SIGKILL keeps it (a machine that loses power may not: no fsync).
 *
 * Files of a process that is no longer running are orphans; the next process to open the
 * folder claims them by renaming them into its own name (one rename wins), so two processes
 * never send the same file.
 * @internal
 */
export class SpoolFiles {
  readonly dir: string;
  private readonly stem: string;
  private readonly start: string;
  private seq = 0;
  private madeDir = false;

  constructor(dir: string) {
    this.dir = dir;
    const open = openSpools();
    open.lastStart = Math.max(Date.now(), open.lastStart + 1);
    this.start = String(open.lastStart).padStart(13, '0');
    this.stem = `${this.start}-${process.pid}`;
    open.stems.add(this.stem);
  }

  /** Lets other spools of this process claim what this one leaves (it writes no more). */
  close(): void {
    openSpools().stems.delete(this.stem);
  }

  /** Writes one batch; throws when the disk refuses it. */
  write(data: Uint8Array, count: number, encoding: OtlpEncoding): SpoolFile {
    if (!this.madeDir) {
      mkdirSync(this.dir, { recursive: true });
      this.madeDir = true;
    }
    this.seq += 1;
    const extension = encoding === 'json' ? 'json' : 'pb';
    const name = `${this.stem}-${String(this.seq).padStart(10, '0')}-${count}.otlp.${extension}`;
    const path = join(this.dir, name);
    writeFileSync(path + TEMP_SUFFIX, data);
    renameSync(path + TEMP_SUFFIX, path);
    return { name, bytes: data.byteLength, count, encoding };
  }

  /** The bytes of one file. */
  read(name: string): Buffer {
    return readFileSync(join(this.dir, name));
  }

  /** Gives a claimed file back (its original name), for another process to claim. */
  release(name: string): void {
    try {
      renameSync(join(this.dir, name), join(this.dir, name.replace(/~.*$/, '')));
    } catch {
      // Gone, or never claimed: nothing to give back.
    }
  }

  /** Deletes one file; a file already gone is fine. */
  remove(name: string): void {
    try {
      unlinkSync(join(this.dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        diag.warn(`otel-sessions: could not delete the sent spool file ${join(this.dir, name)}`, error);
      }
    }
  }

  /**
   * Claims the files of processes no longer running, oldest first: each is renamed into
   * this spool's name; a file another process claimed first is skipped. Stale temporary
   * files of those processes (a write cut short) are deleted.
   */
  claimOrphans(): SpoolFile[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const claimed: SpoolFile[] = [];
    for (const name of names.sort()) {
      if (name.endsWith(TEMP_SUFFIX)) {
        const match = SPOOL_FILE.exec(name.slice(0, -TEMP_SUFFIX.length));
        if (match && !this.isRunning(match[1] as string, Number(match[2]))) this.remove(name);
        continue;
      }
      const match = SPOOL_FILE.exec(name);
      if (match === null) continue;
      const [, start, pid, , count, extension, claimerStart, claimerPid] = match;
      const ownerAlive =
        claimerStart === undefined
          ? this.isRunning(start as string, Number(pid))
          : this.isRunning(claimerStart, Number(claimerPid));
      if (ownerAlive) continue;
      const base = name.replace(/~.*$/, '');
      const mine = `${base}~${this.stem}`;
      try {
        renameSync(join(this.dir, name), join(this.dir, mine));
        claimed.push({
          name: mine,
          bytes: statSync(join(this.dir, mine)).size,
          count: Number(count),
          encoding: extension === 'json' ? 'json' : 'protobuf',
        });
      } catch (error) {
        // Another process claimed it first.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return claimed;
  }

  /** Whether the spool that wrote with this start stamp and process ID may still run. */
  private isRunning(start: string, pid: number): boolean {
    // This process's own ID: one of its open spools, or an earlier life of this process ID
    // (a container's PID 1 restarted), long gone.
    if (pid === process.pid) return openSpools().stems.has(`${start}-${pid}`);
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}
