import { diag } from '@opentelemetry/api';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../internal/private-dir.js';
import type { OtlpEncoding } from './otlp-exporters.js';
import { ownerRuns, releaseStem, STEM, takeStem, type SpoolOwner } from './spool-owner.js';
import { DONE, readRequest, readSegment, recordHeader, STATE_AT, type SegmentContents } from './spool-record.js';

/**
 * Segment names: `<stem>-<seq>.otlp-spool`, where the stem names the spool that wrote it (see
 * `SpoolOwner`) and `seq` (10 digits) counts its segments. A segment claimed by another
 * process for sending gets `~<stem>` of its claimer appended; its owner is then the claimer.
 * A segment that cannot be read at all is moved aside as `<stem>-<seq>.otlp-spool.damaged`.
 * Other names in the folder are left alone, as is anything but a regular file.
 */
const SEGMENT_NAME = new RegExp(String.raw`^${STEM}-(\d{10})\.otlp-spool(?:~${STEM})?$`);
/** The suffix of a segment moved aside, unreadable. */
const DAMAGED_SUFFIX = '.damaged';

/** Opened without following a symbolic link, and without blocking on a FIFO (`O_NONBLOCK` changes nothing for a regular file). */
const SAFE_OPEN = (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

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
  /** Where its request starts in the segment. */
  readonly requestAt: number;
  /** Bytes of the request (the header not counted). */
  readonly bytes: number;
  /** Spans or log records it holds. */
  readonly count: number;
  /** How the batch is encoded. */
  readonly encoding: OtlpEncoding;
  /** The request's CRC-32, checked when it is read back; `undefined` for a record of the previous format. */
  readonly checksum: number | undefined;
}

/** A damaged segment found while claiming: what was skipped in it, or that it was moved aside. @internal */
export interface SpoolDamage {
  /** The segment's path, without a claim suffix. */
  path: string;
  /** Damaged bytes skipped. */
  bytes: number;
  /** In how many places (a record, or a run of records whose headers are damaged). */
  places: number;
  /** Where it was moved, when nothing in it could be read; else it is sent and deleted as usual. */
  movedTo: string | undefined;
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
 * after their owner ends): a record that runs past the end of the file is ignored. Records
 * carry checksums (see `spool-record.ts`): a damaged one costs only itself.
 *
 * Segments whose owner no longer runs (see `SpoolOwner`) are orphans; the next process to
 * open the folder claims them by renaming them into its own name (one rename wins), so two
 * processes never send the same segment.
 *
 * A disk that refuses writes (full, read-only) is told once when writing starts to fail and
 * once when it works again, with what it cost meanwhile.
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
  /** While writes fail: the batches not written, and the sent ones not marked done since. */
  private failing: { unwritten: number; unmarked: number } | undefined;
  private readonly damage: SpoolDamage[] = [];

  /** `segmentBytes`: the size past which the live segment gives way to a new one. */
  constructor(dir: string, segmentBytes: number) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.stem = takeStem();
  }

  /** Bytes on disk of the segments this spool holds (written or claimed, not yet deleted). */
  get bytes(): number {
    return this.heldBytes;
  }

  /** The damaged segments found while claiming. */
  get damaged(): readonly SpoolDamage[] {
    return this.damage;
  }

  /**
   * Stops writing and lets other spools of this process claim what this one leaves. A
   * segment whose records are all done is deleted; the others stay for the next process.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    releaseStem(this.stem);
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.live !== undefined) this.retire(this.live);
    for (const segment of this.held) this.closeFd(segment);
  }

  /** Appends one batch to the live segment; throws when the disk refuses it (the batch is then not on disk). */
  write(data: Uint8Array, count: number, encoding: OtlpEncoding): SpoolRecord {
    if (this.closed) throw new Error('otel-sessions: the spool is closed');
    try {
      const record = this.append(data, count, encoding);
      this.writingWorks();
      return record;
    } catch (error) {
      this.writingFailed(error, 'unwritten');
      throw error;
    }
  }

  /** The request bytes of one record; throws when they no longer match its checksum. */
  read(record: SpoolRecord): Buffer {
    const segment = record.segment as Segment;
    try {
      return readRequest(this.fdOf(segment), record);
    } finally {
      if (this.closed) this.closeFd(segment);
    }
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
      this.writingWorks();
    } catch (error) {
      this.writingFailed(error, 'unmarked');
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
   * Claims the segments whose owner no longer runs, oldest first: each regular file named as
   * a segment is renamed into this spool's name (one another process claimed first is
   * skipped), then read whole and checked (the requests are read again when their turn
   * comes). Returns the records still pending; a segment without any is deleted, one that
   * cannot be read at all is moved aside.
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
      const owner = ownerOf(name);
      if (owner === undefined || ownerRuns(owner) || !this.isRegularFile(name)) continue;
      const mine = `${baseName(name)}~${this.stem}`;
      try {
        renameSync(join(this.dir, name), join(this.dir, mine));
      } catch (error) {
        // Another process claimed it first.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      claimed.push(...this.readClaimed(mine));
    }
    return claimed;
  }

  /** The pending records of a segment just claimed; one that cannot be read is given back, or moved aside. */
  private readClaimed(name: string): SpoolRecord[] {
    const segment: Segment = { name, fd: undefined, size: 0, pending: 0, kept: 0, live: false, gone: false };
    const path = join(this.dir, name);
    let contents: SegmentContents;
    try {
      const fd = openRegularFile(path, constants.O_RDONLY);
      try {
        segment.size = fstatSync(fd).size;
        contents = readSegment(fd, segment.size);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      diag.warn(`otel-sessions: could not read the spool segment ${path}; left for another process`, error);
      this.giveBack(name);
      return [];
    }
    if (contents.laterVersion) {
      diag.warn(
        `otel-sessions: the spool segment ${join(this.dir, baseName(name))} was written by a later version of otel-sessions; it is left on disk for it`,
      );
      this.giveBack(name);
      return [];
    }
    if (contents.damaged.bytes > 0 && contents.records.length === 0) {
      this.moveAside(name, contents.damaged);
      return [];
    }
    if (contents.damaged.bytes > 0) this.reportDamage(name, contents.damaged);
    const records: SpoolRecord[] = contents.records
      .filter((record) => record.pending)
      .map(({ offset, requestAt, bytes, count, encoding, checksum }) => ({
        segment,
        offset,
        requestAt,
        bytes,
        count,
        encoding,
        checksum,
      }));
    this.held.add(segment);
    this.heldBytes += segment.size;
    segment.pending = records.length;
    if (records.length === 0) this.finish(segment);
    return records;
  }

  /** A segment with no record that can be read: renamed out of the spool's way, and told once. */
  private moveAside(name: string, damaged: SegmentContents['damaged']): void {
    const found = join(this.dir, baseName(name));
    const movedTo = `${found}${DAMAGED_SUFFIX}`;
    try {
      renameSync(join(this.dir, name), movedTo);
    } catch (error) {
      diag.warn(`otel-sessions: the spool segment ${found} is unreadable and could not be moved aside`, error);
      return;
    }
    this.damage.push({ path: found, ...damaged, movedTo });
    diag.warn(
      `otel-sessions: the spool segment ${found} is unreadable (no record in its ${damaged.bytes} bytes checks); moved aside as ${movedTo}`,
    );
  }

  /** Tells, once per segment, what was skipped in it as damaged. */
  private reportDamage(name: string, damaged: SegmentContents['damaged']): void {
    const found = join(this.dir, baseName(name));
    this.damage.push({ path: found, ...damaged, movedTo: undefined });
    diag.warn(
      `otel-sessions: the spool segment ${found} is damaged: skipped ${damaged.bytes} bytes in ${damaged.places} place(s), ` +
        'whose batches are lost; its other batches are sent',
    );
  }

  /** Whether a directory entry is a regular file (not a FIFO, directory or symbolic link: those are never opened). */
  private isRegularFile(name: string): boolean {
    try {
      if (lstatSync(join(this.dir, name)).isFile()) return true;
    } catch {
      return false; // Gone meanwhile.
    }
    diag.warn(
      `otel-sessions: ${join(this.dir, name)} is named as a spool segment but is no regular file; it is left alone`,
    );
    return false;
  }

  private append(data: Uint8Array, count: number, encoding: OtlpEncoding): SpoolRecord {
    const header = recordHeader(data, count, encoding);
    const length = header.length + data.byteLength;
    let segment = this.live;
    if (segment !== undefined && segment.size > 0 && segment.size + length > this.segmentBytes) {
      this.retire(segment);
      segment = undefined;
    }
    segment ??= this.openLive();
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
    return {
      segment,
      offset,
      requestAt: offset + header.length,
      bytes: data.byteLength,
      count,
      encoding,
      checksum: header.readUInt32LE(16),
    };
  }

  /**
   * One message when writing starts to fail (a full or read-only disk is an expected I/O
   * error: its code and message, no stack), none for each batch after it.
   */
  private writingFailed(error: unknown, what: 'unwritten' | 'unmarked'): void {
    if (this.failing === undefined) {
      this.failing = { unwritten: 0, unmarked: 0 };
      diag.error(
        `otel-sessions: cannot write to the spool in ${this.dir} (${reasonOf(error)}); ` +
          'batches are kept in memory only until it can',
      );
    }
    this.failing[what] += 1;
  }

  /** One message when writing works again after failing, with what it cost meanwhile. */
  private writingWorks(): void {
    const failing = this.failing;
    if (failing === undefined) return;
    this.failing = undefined;
    const unmarked =
      failing.unmarked > 0
        ? `, and ${failing.unmarked} sent batch(es) could not be marked sent (they may be sent again)`
        : '';
    diag.warn(
      `otel-sessions: writes to the spool in ${this.dir} work again; ${failing.unwritten} batch(es) were kept in memory only meanwhile${unmarked}`,
    );
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

  /** Renames a claimed segment back to its own name, for another process to claim. */
  private giveBack(name: string): void {
    try {
      renameSync(join(this.dir, name), join(this.dir, baseName(name)));
    } catch {
      // Left claimed: another process claims it once this one ends.
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
    segment.fd ??= openRegularFile(join(this.dir, segment.name), constants.O_RDWR);
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
}

/** The owner of a segment, from its name; `undefined` for a name that is not a segment's. */
function ownerOf(name: string): SpoolOwner | undefined {
  const match = SEGMENT_NAME.exec(name);
  if (match === null) return undefined;
  const [, start, pid, since, , claimerStart, claimerPid, claimerSince] = match;
  return claimerStart === undefined
    ? { stem: stemOf(start, pid, since), pid: Number(pid), since }
    : { stem: stemOf(claimerStart, claimerPid, claimerSince), pid: Number(claimerPid), since: claimerSince };
}

function stemOf(start: string | undefined, pid: string | undefined, since: string | undefined): string {
  return `${start}-${pid}${since === undefined ? '' : `-${since}`}`;
}

/** Opens a file that must be a regular one: a symbolic link is not followed, a FIFO does not block the open. */
function openRegularFile(path: string, flags: number): number {
  const fd = openSync(path, flags | SAFE_OPEN);
  if (fstatSync(fd).isFile()) return fd;
  closeSync(fd);
  throw new Error(`${path} is no regular file`);
}

/** An I/O error as one line: its code and message (Node's messages start with the code). */
function reasonOf(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return typeof code === 'string' && !text.startsWith(code) ? `${code}: ${text}` : text;
}

/** A segment's name without the claim suffix. */
function baseName(name: string): string {
  return name.replace(/~.*$/, '');
}
