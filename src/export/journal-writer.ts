import { diag } from '@opentelemetry/api';
import { BindOnceFuture, ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../internal/private-dir.js';
import { join } from 'node:path';
import { journalFileName, journalStem, JOURNAL_FILE_PATTERN, type JournalSignal } from './journal-files.js';
import { asError } from '../internal/as-error.js';
import { positiveNumber } from '../internal/positive.js';

/** Options of the journal exporters (`JournalSpanExporter`, `JournalLogExporter`). */
export interface JournalOptions {
  /**
   * The folder the journal files are written to; created when first needed.
   * @default '.otel-sessions'
   */
  dir?: string;
  /**
   * A file is closed and a new one started when the next line would take it past this
   * many bytes. A single line larger than this still gets written, alone in its file.
   * @default 16777216 (16 MiB)
   */
  maxFileBytes?: number;
  /**
   * When the journal folder holds more than this many bytes, its oldest closed files are
   * deleted until it no longer does. Files still being written are never deleted.
   * @default 268435456 (256 MiB)
   */
  maxTotalBytes?: number;
}

/** The kinds of record a journal file holds; the first part of its name. */

/** The default journal folder, relative to the working directory. */
export const DEFAULT_JOURNAL_DIR = '.otel-sessions';
/** The default size at which a journal file is rotated. */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;
/** The default size cap of the whole journal folder. */
export const DEFAULT_MAX_TOTAL_BYTES = 256 * 1024 * 1024;

export { JOURNAL_FILE_PATTERN, type JournalSignal } from './journal-files.js';

const NEWLINE = Buffer.from('\n');
let lastStart = 0;

/** A start stamp unique to each writer of this process, so two writers never share a file. */
function nextStart(): number {
  lastStart = Math.max(Date.now(), lastStart + 1);
  return lastStart;
}

/**
 * Appends OTLP-JSON lines to size-capped, rotated files in a journal folder.
 *
 * Each writer owns its files (their names carry the process ID and the writer's start
 * time), so several processes, or several writers in one process, can write to the same
 * folder without ever interleaving their lines; each line is appended with one write
 * call, in order. Rotation starts a new file; pruning deletes the oldest files that no
 * writer holds any more (rotated ones, or those of processes that have exited).
 *
 * Shared by `JournalSpanExporter` and `JournalLogExporter`.
 */
export class JournalWriter {
  private readonly dir: string;
  private readonly maxFileBytes: number;
  private readonly maxTotalBytes: number;
  private readonly stem: string;
  private seq = 0;
  private size = 0;
  private handle: FileHandle | undefined;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Batches dropped since writing started to fail (undefined while writing works). */
  private droppedSinceFailure: number | undefined;
  private readonly closing = new BindOnceFuture<void, undefined, () => Promise<void>>(() => {
    this.closed = true;
    return this.enqueue(() => this.closeFile()).catch((error: unknown) => {
      diag.error('otel-sessions: journal could not close its file', error);
    });
  }, undefined);

  constructor(signal: JournalSignal, options: JournalOptions = {}) {
    this.dir = options.dir ?? DEFAULT_JOURNAL_DIR;
    this.maxFileBytes = positiveNumber(
      'otel-sessions: journal maxFileBytes',
      options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    );
    let maxTotalBytes = positiveNumber(
      'otel-sessions: journal maxTotalBytes',
      options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
    );
    if (maxTotalBytes < this.maxFileBytes) {
      diag.warn('otel-sessions: journal maxTotalBytes is smaller than maxFileBytes; using maxFileBytes');
      maxTotalBytes = this.maxFileBytes;
    }
    this.maxTotalBytes = maxTotalBytes;
    this.stem = journalStem(signal, process.pid, nextStart());
  }

  /** The path of the file currently written to, if one is open. */
  get currentFile(): string | undefined {
    return this.handle === undefined ? undefined : join(this.dir, this.fileName(this.seq));
  }

  /**
   * Encodes a batch with `encode` and appends it as one line, then reports the outcome to
   * `resultCallback`. Never throws: failures are reported to the callback and to `diag`.
   */
  write(encode: () => Uint8Array | undefined, resultCallback: (result: ExportResult) => void): void {
    if (this.closed) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('otel-sessions: journal is shut down') });
      return;
    }
    let data: Uint8Array | undefined;
    try {
      data = encode();
    } catch (error) {
      diag.error('otel-sessions: journal could not encode a batch', error);
      resultCallback({ code: ExportResultCode.FAILED, error: asError(error) });
      return;
    }
    if (data === undefined || data.length === 0) {
      resultCallback({ code: ExportResultCode.SUCCESS });
      return;
    }
    const line = Buffer.concat([data, NEWLINE]);
    this.enqueue(() => this.append(line)).then(
      () => {
        this.writingWorks();
        resultCallback({ code: ExportResultCode.SUCCESS });
      },
      (error: unknown) => {
        this.writingFailed(error);
        resultCallback({ code: ExportResultCode.FAILED, error: asError(error) });
      },
    );
  }

  /**
   * One message when writing starts to fail (a full or read-only disk is an expected I/O
   * error: its code and message, no stack), none for the batches dropped after it.
   */
  private writingFailed(error: unknown): void {
    if (this.droppedSinceFailure !== undefined) {
      this.droppedSinceFailure++;
      return;
    }
    this.droppedSinceFailure = 1;
    const { code, message } = error as { code?: string; message?: string };
    const reason = code !== undefined ? `${code}: ${message ?? ''}` : (message ?? String(error));
    diag.error(
      `otel-sessions: journal could not write to ${this.dir} (${reason}); batches are dropped until writing works again`,
    );
  }

  /** One message when writing works again after failing, with what was dropped meanwhile. */
  private writingWorks(): void {
    const dropped = this.droppedSinceFailure;
    if (dropped === undefined) return;
    this.droppedSinceFailure = undefined;
    diag.warn(`otel-sessions: journal writes to ${this.dir} work again; ${dropped} batch(es) were dropped meanwhile`);
  }

  /** Resolves once every line handed to `write` so far is written (or has failed). */
  flush(): Promise<void> {
    return this.queue;
  }

  /** Writes what is pending and closes the file. Safe to call more than once. */
  close(): Promise<void> {
    return this.closing.call();
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    // The queue itself never rejects, so one failed write does not stop the next ones.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async append(line: Buffer): Promise<void> {
    if (this.handle !== undefined && this.size > 0 && this.size + line.length > this.maxFileBytes) {
      await this.closeFile();
    }
    if (this.handle === undefined) await this.openNext();
    const handle = this.handle as FileHandle;
    let offset = 0;
    try {
      // One write call in practice; the loop only guards against a short write.
      while (offset < line.length) {
        const { bytesWritten } = await handle.write(line, offset, line.length - offset);
        offset += bytesWritten;
      }
    } catch (error) {
      // A line is whole or absent: what part of it reached the file (a disk filling up) is cut
      // off, so the next batch does not start inside it. The file is this process's own.
      if (offset > 0) await handle.truncate(this.size).catch(() => undefined);
      throw error;
    }
    this.size += line.length;
  }

  private async openNext(): Promise<void> {
    ensurePrivateDir(this.dir);
    this.seq += 1;
    this.size = 0;
    this.handle = await open(join(this.dir, this.fileName(this.seq)), 'a', PRIVATE_FILE_MODE);
    await this.prune();
  }

  private async closeFile(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private fileName(seq: number): string {
    return journalFileName(this.stem, seq);
  }

  /** Deletes the oldest files nobody writes to any more while the folder is over its cap. */
  private async prune(): Promise<void> {
    const files = await listJournalFiles(this.dir);
    let total = files.reduce((sum, file) => sum + file.size, 0);
    if (total <= this.maxTotalBytes) return;
    const latestSeq = new Map<string, number>();
    for (const file of files) latestSeq.set(file.stem, Math.max(latestSeq.get(file.stem) ?? 0, file.seq));
    const deletable = files
      .filter((file) => file.seq < (latestSeq.get(file.stem) ?? 0) || !isAlive(file.pid))
      .sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const file of deletable) {
      if (total <= this.maxTotalBytes) break;
      try {
        await unlink(join(this.dir, file.name));
        total -= file.size;
      } catch (error) {
        // Another process pruning at the same time may have deleted it first.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        total -= file.size;
      }
    }
  }
}

interface JournalFile {
  name: string;
  stem: string;
  pid: number;
  seq: number;
  size: number;
  mtimeMs: number;
}

async function listJournalFiles(dir: string): Promise<JournalFile[]> {
  const files: JournalFile[] = [];
  for (const name of await readdir(dir)) {
    const match = JOURNAL_FILE_PATTERN.exec(name);
    if (match === null) continue;
    try {
      const info = await stat(join(dir, name));
      const [, signal, pid, start, seq] = match;
      files.push({
        name,
        stem: journalStem(signal as JournalSignal, Number(pid), Number(start)),
        pid: Number(pid),
        seq: Number(seq),
        size: info.size,
        mtimeMs: info.mtimeMs,
      });
    } catch {
      // Deleted between readdir and stat by another process's pruning.
    }
  }
  return files;
}

/** Whether a process with this ID exists (signal 0 checks without signalling). */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
