import { readFileSync } from 'node:fs';
import { processPart } from '../internal/process-state.js';

/**
 * Who owns a spool segment, and whether it still runs.
 *
 * A spool's stem, `<start>-<pid>-<since>`, names the spool (its creation, in ms, 13 digits)
 * and its process: the process ID and the tick after boot at which that process started
 * (`/proc/<pid>/stat`, field 22). It names the segments the spool writes, and is appended to
 * those it claims. The owner's hold on a segment is its process's lifetime, told by that pair:
 * a process ID alone is reused once its process ended (a container restarted, PIDs wrapped
 * round), but no other process has the same ID and the same start tick. Liveness is checked
 * at the moment of claiming, with no timer and no lock file: a writer killed a moment ago
 * leaves segments that are claimable at once, and a writer that is merely slow (its event loop
 * blocked, stopped by a debugger) keeps them.
 *
 * Limits: where `/proc` does not tell the start tick (not Linux, or `hidepid`), the stem
 * has no `since` and the process ID alone decides, as for segments of older versions; and
 * processes that share the folder must share one PID namespace (not two containers).
 */
export interface SpoolOwner {
  /** `<start>-<pid>` or `<start>-<pid>-<since>`, as it appears in segment names. */
  stem: string;
  pid: number;
  /** The start tick of its process; `undefined` when not recorded. */
  since: string | undefined;
}

/** A stem, as in segment names: start stamp, process ID, and the process's start tick when known. */
export const STEM = String.raw`(\d{13})-(\d+)(?:-(\d+))?`;

// The stems of the spools open in this process, shared by the ESM and CommonJS builds.
function openSpools(): { stems: Set<string>; lastStart: number } {
  return processPart('spools', () => ({ stems: new Set<string>(), lastStart: 0 }));
}

/** A new stem for a spool of this process, held until `releaseStem`. */
export function takeStem(): string {
  const open = openSpools();
  open.lastStart = Math.max(Date.now(), open.lastStart + 1);
  const since = processStat(process.pid)?.since;
  const stem = `${String(open.lastStart).padStart(13, '0')}-${process.pid}${since === undefined ? '' : `-${since}`}`;
  open.stems.add(stem);
  return stem;
}

/** Lets other spools of this process claim what the spool of this stem leaves. */
export function releaseStem(stem: string): void {
  openSpools().stems.delete(stem);
}

/** Whether the owner of a segment may still run (when unsure, it is taken as running). */
export function ownerRuns(owner: SpoolOwner): boolean {
  // This process's own ID: one of its open spools, or an earlier life of this process ID
  // (a container's PID 1 restarted), long gone.
  if (owner.pid === process.pid) return openSpools().stems.has(owner.stem);
  if (!(owner.pid > 0) || !processExists(owner.pid)) return false;
  const stat = processStat(owner.pid);
  if (stat === undefined) return true;
  // Ended, not yet reaped by its parent: it writes no more.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return owner.since === undefined || owner.since === stat.since;
}

/** Whether a process with this ID exists (signal 0 checks without signalling). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A process's state and start tick after boot, from `/proc/<pid>/stat`; `undefined` where
 * there is no `/proc`, or it hides that process.
 */
function processStat(pid: number): { state: string; since: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid …`: the command may hold spaces and parentheses; fields 3 on follow the last `)`.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, since] = [fields[0], fields[19]];
  if (state === undefined || since === undefined || !/^\d+$/.test(since)) return undefined;
  return { state, since };
}
