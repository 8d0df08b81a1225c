import { readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { OtlpEncoding } from './otlp-exporters.js';

/**
 * The records of a spool segment file. Each record: a 24-byte header, then the request bytes
 * of one batch.
 *   0..3   magic `OSP2`
 *   4      state: `P` pending, `D` done (sent, or dropped); rewritten in place, one byte, so
 *          no checksum covers it (any byte but `D` reads as pending: sent again, not lost)
 *   5      encoding: `j` OTLP JSON, `p` OTLP protobuf
 *   6..7   zero
 *   8..11  spans or log records in the batch (u32, little-endian)
 *   12..15 bytes of the request that follows (u32, little-endian)
 *   16..19 CRC-32 of the request (u32, little-endian)
 *   20..23 CRC-32 of bytes 0..3 and 5..19 of this header (u32, little-endian)
 *
 * The header's own checksum makes its length trustworthy: a record whose request is damaged
 * is skipped by that length; one whose header is damaged is skipped by looking for the next
 * header that checks (the next `OSP2` whose checksum holds). Records of the previous format,
 * `OSP1` (the same first 16 bytes, no checksums), are still read, though not resynchronised.
 * A checksum guards against damage, not forgery: someone who can write the folder can write
 * records that check.
 */
export const HEADER_BYTES = 24;
const V1_HEADER_BYTES = 16;
const MAGIC = Buffer.from('OSP2', 'latin1');
const V1_MAGIC = Buffer.from('OSP1', 'latin1');
/** The state byte's place in a header (both formats). */
export const STATE_AT = 4;
const PENDING = 0x50; // 'P'
/** The state byte of a record sent or dropped. */
export const DONE = 0x44; // 'D'
const JSON_BYTE = 0x6a; // 'j'
const PROTOBUF_BYTE = 0x70; // 'p'
/** How much of a segment is read at once while looking for the next header. */
const SEARCH_CHUNK_BYTES = 64 * 1024;

/** A whole record found in a segment file. @internal */
export interface FoundRecord {
  /** Where its header starts. */
  offset: number;
  /** Where its request starts. */
  requestAt: number;
  /** Bytes of the request. */
  bytes: number;
  /** Spans or log records it holds. */
  count: number;
  encoding: OtlpEncoding;
  /** The request's CRC-32; `undefined` for an `OSP1` record. */
  checksum: number | undefined;
  pending: boolean;
}

/** What a segment file holds, read from its start. @internal */
export interface SegmentContents {
  /** Its whole, checked records, pending or done, in order. */
  records: FoundRecord[];
  /** Bytes skipped as damaged, and in how many places (a record, or a run of records whose headers are damaged). */
  damaged: { bytes: number; places: number };
  /** Written by a later version of otel-sessions (`OSP3` or above at its start): not read. */
  laterVersion: boolean;
}

/** The header of a pending record for `request`. @internal */
export function recordHeader(request: Uint8Array, count: number, encoding: OtlpEncoding): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[STATE_AT] = PENDING;
  header[5] = encoding === 'json' ? JSON_BYTE : PROTOBUF_BYTE;
  header.writeUInt32LE(count, 8);
  header.writeUInt32LE(request.byteLength, 12);
  header.writeUInt32LE(crc32(request), 16);
  header.writeUInt32LE(headerChecksum(header), 20);
  return header;
}

/**
 * Reads a segment file of `size` bytes and checks each record. A damaged stretch is skipped
 * up to the next header that checks, and counted. A record cut short at the end (its writer
 * killed during the write) is no damage: it ends the segment, unless a header that checks
 * follows it (its length was then damaged).
 * @internal
 */
export function readSegment(fd: number, size: number): SegmentContents {
  const contents: SegmentContents = { records: [], damaged: { bytes: 0, places: 0 }, laterVersion: false };
  if (isLaterVersion(readAt(fd, 0, MAGIC.length))) {
    contents.laterVersion = true;
    return contents;
  }
  let at = 0;
  while (at < size) {
    const found = recordAt(fd, at, size);
    if (found.kind === 'record') {
      contents.records.push(found.record);
      at = found.record.requestAt + found.record.bytes;
      continue;
    }
    // A damaged request: its header (which checks) says where the next record starts.
    const next = found.kind === 'damaged request' ? found.next : nextHeader(fd, at + 1, size);
    if (next === undefined && found.kind === 'cut short') break;
    contents.damaged.bytes += (next ?? size) - at;
    contents.damaged.places += 1;
    at = next ?? size;
  }
  return contents;
}

/** The request bytes of a record, checked against its checksum; throws when they do not match. @internal */
export function readRequest(fd: number, record: Pick<FoundRecord, 'requestAt' | 'bytes' | 'checksum'>): Buffer {
  const request = readAt(fd, record.requestAt, record.bytes);
  if (request.length < record.bytes) throw new Error('the segment ends inside the record');
  if (record.checksum !== undefined && crc32(request) !== record.checksum) {
    throw new Error('the record does not match its checksum (changed on disk)');
  }
  return request;
}

type Probe =
  | { kind: 'record'; record: FoundRecord }
  /** A header that checks, whose request does not. */
  | { kind: 'damaged request'; next: number }
  /** A known header (or the start of one) that runs past the end of the file. */
  | { kind: 'cut short' }
  | { kind: 'damaged header' };

/** What starts at `at`: a whole record, one cut short by the end of the file, or damage. */
function recordAt(fd: number, at: number, size: number): Probe {
  const header = readAt(fd, at, HEADER_BYTES);
  if (header.length < MAGIC.length) return { kind: 'cut short' };
  if (header.subarray(0, MAGIC.length).equals(V1_MAGIC)) return v1RecordAt(header, at, size);
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) return { kind: 'damaged header' };
  if (header.length < HEADER_BYTES) return { kind: 'cut short' };
  if (!headerChecks(header)) return { kind: 'damaged header' };
  const record = fieldsOf(header, at, HEADER_BYTES, header.readUInt32LE(16));
  const next = record.requestAt + record.bytes;
  if (next > size) return { kind: 'cut short' };
  if (crcOf(fd, record.requestAt, record.bytes) !== record.checksum) return { kind: 'damaged request', next };
  return { kind: 'record', record };
}

/** An `OSP1` record: no checksum, so only its fields' values and its length are checked. */
function v1RecordAt(header: Buffer, at: number, size: number): Probe {
  if (header.length < V1_HEADER_BYTES) return { kind: 'cut short' };
  const state = header[STATE_AT];
  const known =
    (state === PENDING || state === DONE) &&
    (header[5] === JSON_BYTE || header[5] === PROTOBUF_BYTE) &&
    header.readUInt16LE(6) === 0;
  if (!known) return { kind: 'damaged header' };
  const record = fieldsOf(header, at, V1_HEADER_BYTES, undefined);
  return record.requestAt + record.bytes > size ? { kind: 'cut short' } : { kind: 'record', record };
}

function fieldsOf(header: Buffer, at: number, headerBytes: number, checksum: number | undefined): FoundRecord {
  return {
    offset: at,
    requestAt: at + headerBytes,
    bytes: header.readUInt32LE(12),
    count: header.readUInt32LE(8),
    encoding: header[5] === JSON_BYTE ? 'json' : 'protobuf',
    checksum,
    pending: header[STATE_AT] !== DONE,
  };
}

/** Whether a full `OSP2` header holds: its checksum, and a known encoding. */
function headerChecks(header: Buffer): boolean {
  return (
    header.length >= HEADER_BYTES &&
    header.subarray(0, MAGIC.length).equals(MAGIC) &&
    (header[5] === JSON_BYTE || header[5] === PROTOBUF_BYTE) &&
    header.readUInt32LE(20) === headerChecksum(header)
  );
}

/** CRC-32 of a header's bytes 0..3 and 5..19: all but the state byte and the checksum itself. */
function headerChecksum(header: Buffer): number {
  return crc32(header.subarray(STATE_AT + 1, 20), crc32(header.subarray(0, STATE_AT)));
}

/** Where the next `OSP2` header that checks starts, from `from` on; `undefined` when none does. */
function nextHeader(fd: number, from: number, size: number): number | undefined {
  const chunk = Buffer.alloc(SEARCH_CHUNK_BYTES);
  // Chunks overlap by a magic's length less one, so that a magic across two of them is found.
  for (let start = from; start < size; start += chunk.length - (MAGIC.length - 1)) {
    const read = readSync(fd, chunk, 0, Math.min(chunk.length, size - start), start);
    const view = chunk.subarray(0, read);
    for (let i = view.indexOf(MAGIC); i >= 0; i = view.indexOf(MAGIC, i + 1)) {
      if (headerChecks(readAt(fd, start + i, HEADER_BYTES))) return start + i;
    }
    if (start + read >= size) break;
  }
  return undefined;
}

/** Whether a segment starts with the magic of a later format (`OSP3` and above). */
function isLaterVersion(start: Buffer): boolean {
  if (start.length < MAGIC.length || start.toString('latin1', 0, 3) !== 'OSP') return false;
  const version = start[3] as number;
  return version > (MAGIC[3] as number) && version <= 0x39; // '3'..'9'
}

/** CRC-32 of `bytes` bytes of the file from `position`, read a chunk at a time. */
function crcOf(fd: number, position: number, bytes: number): number {
  const chunk = Buffer.alloc(Math.min(bytes, SEARCH_CHUNK_BYTES));
  let crc = 0;
  for (let done = 0; done < bytes;) {
    const read = readSync(fd, chunk, 0, Math.min(chunk.length, bytes - done), position + done);
    if (read === 0) break;
    crc = crc32(chunk.subarray(0, read), crc);
    done += read;
  }
  return crc;
}

/** Up to `length` bytes of the file from `position`: fewer at its end. */
function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return buffer.subarray(0, done);
}
