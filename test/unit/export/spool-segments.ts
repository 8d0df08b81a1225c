// Reads the spool's segment files as they are on disk, by the format documented in
// src/export/spool-files.ts (16-byte record headers), independently of the code under test.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RecordOnDisk {
  state: 'pending' | 'done';
  encoding: 'json' | 'protobuf';
  count: number;
  payload: Buffer;
}

/** The segment files in a spool folder, claimed or not, by name. */
export const segmentNames = (dir: string): string[] =>
  readdirSync(dir)
    .filter((name) => /^\d{13}-\d+-\d{10}\.otlp-spool(~\d{13}-\d+)?$/.test(name))
    .sort();

/** The whole records of one segment file, in order (a torn one at the end is left out). */
export function recordsOf(path: string): RecordOnDisk[] {
  const bytes = readFileSync(path);
  const records: RecordOnDisk[] = [];
  let at = 0;
  while (at + 16 <= bytes.length) {
    if (bytes.toString('latin1', at, at + 4) !== 'OSP1') throw new Error(`${path}: no record at ${at}`);
    const length = bytes.readUInt32LE(at + 12);
    if (at + 16 + length > bytes.length) break;
    records.push({
      state: bytes[at + 4] === 0x50 ? 'pending' : 'done',
      encoding: bytes[at + 5] === 0x6a ? 'json' : 'protobuf',
      count: bytes.readUInt32LE(at + 8),
      payload: bytes.subarray(at + 16, at + 16 + length),
    });
    at += 16 + length;
  }
  return records;
}

/** Every record of every segment in a spool folder, segment by segment. */
export const recordsIn = (dir: string): RecordOnDisk[] =>
  segmentNames(dir).flatMap((name) => recordsOf(join(dir, name)));

/** The records not yet done in a spool folder. */
export const pendingIn = (dir: string): RecordOnDisk[] => recordsIn(dir).filter((record) => record.state === 'pending');
