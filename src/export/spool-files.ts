import { diag } from '@opentelemetry/api';
import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../internal/private-dir.js';
import type { OtlpEncoding } from './otlp-exporters.js';

/**
 * Segment names: `<start>-<pid>-<seq>.otlp-spool`, where `start` (13 digits, ms) and `pid`
 * name the spool that wrote it and `seq` (10 digits) counts its segments. A segment claimed
 * by another process for sending gets `~<start>-<pid>` of its claimer appended; its owner is
 * then the claimer. Other names in the folder are left alone.
 */
const SEGMENT_NAME = /^(\d{13})-(\d+)-(\d{10})\.otlp-spool(?:~(\d{13})-(\d+))?$/;

/**
 * Each record: a 16-byte header, then the request bytes of one batch.
 *   0..3   magic `OSP1`
 *   4      state: `P` pending, `D` done (sent, or dropped); rewritten in place, one byte
 *   5      encoding: `j` OTLP JSON, `p` OTLP protobuf
 *   6..7   zero
 *   8..11  spans or log records in the batch (u32, little-endian)
 *   12..15 bytes of the request that follows (u32, little-endian)
 */
const HEADER_BYTES = 16;
const MAGIC = 0x3150_534f; // 'OSP1' read as a little-endian u32
const STATE_AT = 4;
const PENDING = 0x50; // 'P'
const DONE = 0x44; // 'D'
const JSON_BYTE = 0x6a; // 'j'
const PROTOBUF_BYTE = 0x70; // 'p'
const DONE_BUFFER = Buffer.from([DONE]);

/** How long the live segment may sit with every record done before it is deleted (the folder then empties). */
const IDLE_SEGMENT_MS = 1000;

/** One segment file of the spool. @internal */
export interface SpoolSegment {
  /** Its name in the spool folder now. */
  name: string;
}

interface Segment extends SpoolSegment {
  /** Open while in use; claimed segments are opened when first needed. */
  fd: number | undefined;
  /** Bytes on disk. */
  size: number;
  /** Records neither done nor kept for another process. */
  pending: number;
  /** Records left pending for a process that can send them (an encoding this one does not send). */
  kept: number;
  /** The one segment this spool appends to. */
  live: boolean;
  /** Deleted, or given back. */
  gone: boolean;
}

/** One batch on disk: a record in a segment. @internal */
export interface SpoolRecord {
  readonly segment: SpoolSegment;
  /** Where its header starts in the segment. */
  readonly offset: number;
  /** Bytes of the request (the header not counted). */
  readonly bytes: number;
  /** Spans or log records it holds. */
  readonly count: number;
  /** How the batch is encoded. */
  readonly encoding: OtlpEncoding;
}

// Start stamps of the spools open in this process, shared by the ESM and CommonJS builds.
const OPEN_KEY = Symbol.for('otel-sessions.open-spools');
function openSpools(): { stems: Set<string>; lastStart: number } {
  const holder = globalThis as { [OPEN_KEY]?: { stems: Set<string>; lastStart: number } };
  return (holder[OPEN_KEY] ??= { stems: new Set(), lastStart: 0 });
}

/**
 * The folder of one signal's spool, as append-only segment files. Each batch is one record,
 * appended to this spool's live segment with one positional write before the batch is
 * acknowledged; once the collector accepted it (or it was dropped), its state byte is
 * rewritten to done. A segment is deleted when it is no longer the live one and all its
 * records are done; the live one gives way to a new one when it reaches `segmentBytes`, and
 * is deleted after a second with every record done (the folder then empties). Appending to an
 * open file costs less than half of writing, renaming and deleting a file per batch.
 *
 * Synchronous writes: a batch acknowledged is in the page cache, so a process killed with
 * SIGKILL keeps it (a machine that loses power may not: no fsync). A process killed during a
 * write leaves a torn record at the end of its segment (segments are never written again
 * after their owner ends): a header or request that runs past the end of the file is ignored.
 *
 * Segments of a process that is no longer running are orphans; the next process to open the
 * folder claims them by renaming them into its own name (one rename wins), so two processes
 * never send the same segment.
 * @internal
 */
export class SpoolFiles {
  readonly dir: string;
  private readonly stem: string;
  private readonly segmentBytes: number;
  private seq = 0;
  private madeDir = false;
  private live: Segment | undefined;
  /** Segments not yet deleted or given back, with an open descriptor or records to send. */
  private readonly held = new Set<Segment>();
  private heldBytes = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** `segmentBytes`: the size past which the live segment gives way to a new one. */
  constructor(dir: string, segmentBytes: number) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    const open = openSpools();
    open.lastStart = Math.max(Date.now(), open.lastStart + 1);
    this.stem = `${String(open.lastStart).padStart(13, '0')}-${process.pid}`;
    open.stems.add(this.stem);
  }

  /** Bytes on disk of the segments this spool holds (written or claimed, not yet deleted). */
  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * Stops writing and lets other spools of this process claim what this one leaves. A
   * segment whose records are all done is deleted; the others stay for the next process.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    openSpools().stems.delete(this.stem);
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.live !== undefined) this.retire(this.live);
    for (const segment of this.held) this.closeFd(segment);
  }

  /** Appends one batch to the live segment; throws when the disk refuses it (the batch is then not on disk). */
  write(data: Uint8Array, count: number, encoding: OtlpEncoding): SpoolRecord {
    if (this.closed) throw new Error('otel-sessions: the spool is closed');
    const length = HEADER_BYTES + data.byteLength;
    let segment = this.live;
    if (segment !== undefined && segment.size > 0 && segment.size + length > this.segmentBytes) {
      this.retire(segment);
      segment = undefined;
    }
    segment ??= this.openLive();
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header[STATE_AT] = PENDING;
    header[5] = encoding === 'json' ? JSON_BYTE : PROTOBUF_BYTE;
    header.writeUInt16LE(0, 6);
    header.writeUInt32LE(count, 8);
    header.writeUInt32LE(data.byteLength, 12);
    const offset = segment.size;
    let written: number;
    try {
      written = writevSync(segment.fd as number, [header, data], offset);
    } catch (error) {
      // Nothing more goes to a segment that failed once: only its end may be torn.
      this.retire(segment);
      throw error;
    }
    segment.size += written;
    this.heldBytes += written;
    if (written < length) {
      this.retire(segment);
      throw new Error(`otel-sessions: short write to the spool segment ${segment.name} (is the disk full?)`);
    }
    segment.pending += 1;
    return { segment, offset, bytes: data.byteLength, count, encoding };
  }

  /** The request bytes of one record. */
  read(record: SpoolRecord): Buffer {
    const segment = record.segment as Segment;
    const bytes = Buffer.allocUnsafe(record.bytes);
    const fd = this.fdOf(segment);
    try {
      let done = 0;
      while (done < bytes.length) {
        const n = readSync(fd, bytes, done, bytes.length - done, record.offset + HEADER_BYTES + done);
        if (n === 0) throw new Error(`otel-sessions: the spool segment ${segment.name} ends inside a record`);
        done += n;
      }
    } finally {
      if (this.closed) this.closeFd(segment);
    }
    return bytes;
  }

  /** Marks a record done (sent, or dropped): it is not sent again. Deletes its segment once all are. */
  done(record: SpoolRecord): void {
    const segment = record.segment as Segment;
    segment.pending -= 1;
    if (segment.pending === 0 && !segment.live && segment.kept === 0) {
      this.finish(segment);
      return;
    }
    try {
      writeSync(this.fdOf(segment), DONE_BUFFER, 0, 1, record.offset + STATE_AT);
    } catch (error) {
      diag.warn(
        `otel-sessions: could not mark a sent batch in ${join(this.dir, segment.name)}; it may be sent again`,
        error,
      );
    }
    if (this.closed) this.closeFd(segment);
    if (segment.pending > 0) return;
    if (segment.live) this.armIdle();
    else this.finish(segment);
  }

  /** Leaves a record pending, for a process that can send it; its segment is given back once nothing else in it is pending. */
  keep(record: SpoolRecord): void {
    const segment = record.segment as Segment;
    segment.pending -= 1;
    segment.kept += 1;
    if (segment.pending > 0) return;
    if (segment.live) this.armIdle();
    else this.finish(segment);
  }

  /**
   * Claims the segments of processes no longer running, oldest first: each is renamed into
   * this spool's name (a segment another process claimed first is skipped), and its record
   * headers are read (not the requests: those are read when their turn comes). Returns the
   * records still pending; a segment without any is deleted.
   */
  claimOrphans(): SpoolRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const claimed: SpoolRecord[] = [];
    for (const name of names.sort()) {
      const match = SEGMENT_NAME.exec(name);
      if (match === null) continue;
      const [, start, pid, , claimerStart, claimerPid] = match;
      const ownerAlive =
        claimerStart === undefined
          ? this.isRunning(start as string, Number(pid))
          : this.isRunning(claimerStart, Number(claimerPid));
      if (ownerAlive) continue;
      const mine = `${baseName(name)}~${this.stem}`;
      try {
        renameSync(join(this.dir, name), join(this.dir, mine));
      } catch (error) {
        // Another process claimed it first.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const segment: Segment = { name: mine, fd: undefined, size: 0, pending: 0, kept: 0, live: false, gone: false };
      let records: SpoolRecord[];
      try {
        records = this.scan(segment);
      } catch (error) {
        diag.warn(
          `otel-sessions: could not read the spool segment ${join(this.dir, mine)}; left for another process`,
          error,
        );
        try {
          renameSync(join(this.dir, mine), join(this.dir, baseName(mine)));
        } catch {
          // Left claimed: another process claims it once this one ends.
        }
        continue;
      }
      this.held.add(segment);
      this.heldBytes += segment.size;
      segment.pending = records.length;
      if (records.length === 0) this.finish(segment);
      else claimed.push(...records);
    }
    return claimed;
  }

  /**
   * The pending records of a claimed segment, from their headers; stops at a torn record, or
   * at one of an unknown format (the segment is then kept for another process, not deleted).
   */
  private scan(segment: Segment): SpoolRecord[] {
    const records: SpoolRecord[] = [];
    const fd = openSync(join(this.dir, segment.name), 'r');
    try {
      segment.size = fstatSync(fd).size;
      const header = Buffer.alloc(HEADER_BYTES);
      let offset = 0;
      while (offset + HEADER_BYTES <= segment.size) {
        if (readSync(fd, header, 0, HEADER_BYTES, offset) < HEADER_BYTES) break;
        const state = header[STATE_AT];
        const encodingByte = header[5];
        const bytes = header.readUInt32LE(12);
        const known =
          header.readUInt32LE(0) === MAGIC &&
          (state === PENDING || state === DONE) &&
          (encodingByte === JSON_BYTE || encodingByte === PROTOBUF_BYTE);
        if (!known) {
          // Not this format (a later version's?): the segment is given back, not deleted.
          segment.kept += 1;
          diag.warn(
            `otel-sessions: the spool segment ${segment.name} holds a record of an unknown format; it is left on disk`,
          );
          break;
        }
        // A record that runs past the end of the file: a write cut short, at the end (segments only grow).
        if (offset + HEADER_BYTES + bytes > segment.size) break;
        if (state === PENDING) {
          records.push({
            segment,
            offset,
            bytes,
            count: header.readUInt32LE(8),
            encoding: encodingByte === JSON_BYTE ? 'json' : 'protobuf',
          });
        }
        offset += HEADER_BYTES + bytes;
      }
    } finally {
      closeSync(fd);
    }
    return records;
  }

  private openLive(): Segment {
    if (!this.madeDir) {
      ensurePrivateDir(this.dir);
      this.madeDir = true;
    }
    this.seq += 1;
    const name = `${this.stem}-${String(this.seq).padStart(10, '0')}.otlp-spool`;
    // Read and write, created here: not O_APPEND, under which Linux ignores the write position.
    const fd = openSync(join(this.dir, name), 'wx+', PRIVATE_FILE_MODE);
    const segment: Segment = { name, fd, size: 0, pending: 0, kept: 0, live: true, gone: false };
    this.held.add(segment);
    this.live = segment;
    return segment;
  }

  /** The live segment is written no more; deleted at once if nothing in it is pending. */
  private retire(segment: Segment): void {
    segment.live = false;
    if (this.live === segment) this.live = undefined;
    if (segment.pending === 0) this.finish(segment);
  }

  /** Deletes a segment with nothing pending, or gives it back when it holds records kept for another process. */
  private finish(segment: Segment): void {
    if (segment.gone) return;
    segment.gone = true;
    this.closeFd(segment);
    this.held.delete(segment);
    this.heldBytes -= segment.size;
    const path = join(this.dir, segment.name);
    try {
      if (segment.kept > 0) renameSync(path, join(this.dir, baseName(segment.name)));
      else unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        diag.warn(
          `otel-sessions: could not ${segment.kept > 0 ? 'give back' : 'delete'} the spool segment ${path}`,
          error,
        );
      }
    }
  }

  /** After a second with every record done, the live segment is deleted (the next batch starts a new one). */
  private armIdle(): void {
    if (this.idleTimer !== undefined) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.live !== undefined && this.live.pending === 0) this.retire(this.live);
    }, IDLE_SEGMENT_MS);
    this.idleTimer.unref();
  }

  private fdOf(segment: Segment): number {
    segment.fd ??= openSync(join(this.dir, segment.name), 'r+');
    return segment.fd;
  }

  private closeFd(segment: Segment): void {
    if (segment.fd === undefined) return;
    try {
      closeSync(segment.fd);
    } catch {
      // Already closed: nothing to do.
    }
    segment.fd = undefined;
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

/** A segment's name without the claim suffix. */
function baseName(name: string): string {
  return name.replace(/~.*$/, '');
}
