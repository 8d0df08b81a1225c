// Reads the spool's segment files as they are on disk, by the format documented in
// src/export/spool-record.ts (24-byte `OSP2` record headers with CRC-32s; 16-byte `OSP1`
// headers of the previous format), independently of the code under test; and a watchdog
// for the tests of FIFOs.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export interface RecordOnDisk {
  /** Where its header starts in the segment file. */
  offset: number;
  /** Bytes of its header. */
  headerBytes: number;
  state: 'pending' | 'done';
  encoding: 'json' | 'protobuf';
  count: number;
  payload: Buffer;
}

/** A segment name's stem: start stamp, process ID, and that process's start tick when known. */
const STEM = String.raw`\d{13}-\d+(?:-\d+)?`;
const SEGMENT = new RegExp(String.raw`^${STEM}-\d{10}\.otlp-spool(?:~${STEM})?$`);

/** The segment files in a spool folder, claimed or not, by name. */
export const segmentNames = (dir: string): string[] =>
  readdirSync(dir)
    .filter((name) => SEGMENT.test(name))
    .sort();

/** The whole records of one segment file, in order (a torn one at the end is left out); throws at a damaged one. */
export function recordsOf(path: string): RecordOnDisk[] {
  const bytes = readFileSync(path);
  const records: RecordOnDisk[] = [];
  let at = 0;
  while (at + 16 <= bytes.length) {
    const magic = bytes.toString('latin1', at, at + 4);
    if (magic !== 'OSP2' && magic !== 'OSP1') throw new Error(`${path}: no record at ${at}`);
    const headerBytes = magic === 'OSP2' ? 24 : 16;
    const length = bytes.readUInt32LE(at + 12);
    if (at + headerBytes + length > bytes.length) break;
    const payload = bytes.subarray(at + headerBytes, at + headerBytes + length);
    if (magic === 'OSP2' && crc32(payload) !== bytes.readUInt32LE(at + 16))
      throw new Error(`${path}: bad CRC at ${at}`);
    records.push({
      offset: at,
      headerBytes,
      state: bytes[at + 4] === 0x44 ? 'done' : 'pending',
      encoding: bytes[at + 5] === 0x6a ? 'json' : 'protobuf',
      count: bytes.readUInt32LE(at + 8),
      payload,
    });
    at += headerBytes + length;
  }
  return records;
}

/** Every record of every segment in a spool folder, segment by segment. */
export const recordsIn = (dir: string): RecordOnDisk[] =>
  segmentNames(dir).flatMap((name) => recordsOf(join(dir, name)));

/** The records not yet done in a spool folder. */
export const pendingIn = (dir: string): RecordOnDisk[] => recordsIn(dir).filter((record) => record.state === 'pending');

/** A pending `OSP2` record of `payload`, as the spool writes it. */
export function recordBytes(payload: Buffer, count: number): Buffer {
  const header = Buffer.alloc(24);
  header.write('OSP2', 0, 'latin1');
  header[4] = 0x50; // P
  header[5] = 0x6a; // j
  header.writeUInt32LE(count, 8);
  header.writeUInt32LE(payload.length, 12);
  header.writeUInt32LE(crc32(payload), 16);
  header.writeUInt32LE(crc32(header.subarray(5, 20), crc32(header.subarray(0, 4))), 20);
  return Buffer.concat([header, payload]);
}

/**
 * A watchdog for tests of FIFOs in a spool folder: after `seconds`, opens the writing end of
 * every FIFO in `dir` (under whatever name it then has), again and again, so that a spool
 * blocked opening one for reading is let go and the test fails rather than hangs. Kill it
 * at the end of the test (it blocks, harmlessly, on a FIFO nobody reads).
 */
export const unblockFifos = (dir: string, seconds: number): ChildProcess =>
  spawn(
    'sh',
    ['-c', `sleep ${seconds}; while :; do for f in "$0"/*; do [ -p "$f" ] && : > "$f"; done; sleep 1; done`, dir],
    { stdio: 'ignore' },
  );
