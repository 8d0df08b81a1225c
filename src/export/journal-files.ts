/**
 * How journal files are named, shared by the writer (`JournalWriter`) and the reader (the
 * CLI's journal source): `<signal>-<pid>-<start>-<seq>.jsonl`, where `start` is the time in
 * milliseconds at which the writer was created (unique per writer within a process) and
 * `seq` counts the writer's rotations from 1.
 */

/** What a journal file holds. */
export type JournalSignal = 'spans' | 'logs';

/** Every journal file's extension; other `*.jsonl` files (a collector's file exporter) are read too. */
export const JOURNAL_FILE_EXTENSION = '.jsonl';

/** A journal file name, with its signal, pid, start and seq as groups 1 to 4. */
export const JOURNAL_FILE_PATTERN = /^(spans|logs)-(\d+)-(\d+)-(\d+)\.jsonl$/;

/** The part of a writer's file names that its rotations share. */
export function journalStem(signal: JournalSignal, pid: number, start: number): string {
  return `${signal}-${pid}-${start}`;
}

/** The name of a writer's `seq`th file. */
export function journalFileName(stem: string, seq: number): string {
  return `${stem}-${String(seq).padStart(4, '0')}${JOURNAL_FILE_EXTENSION}`;
}

/**
 * Whether a file in the journal folder may hold `signal` records: the journal's own files
 * of that signal, and any other `*.jsonl` file (which may hold either).
 */
export function mayHoldSignal(name: string, signal: JournalSignal): boolean {
  const other: JournalSignal = signal === 'spans' ? 'logs' : 'spans';
  return name.endsWith(JOURNAL_FILE_EXTENSION) && !name.startsWith(`${other}-`);
}
