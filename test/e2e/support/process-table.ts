/**
 * Which processes still run, read from /proc: for tear-down tests that prove nothing of a
 * stack outlives it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { waitUntil } from './wait.js';

/** The fields of /proc/<pid>/stat after `pid (comm)`: state, ppid, pgrp, …; undefined once the process is gone. */
function procStat(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Whether a process still runs. A zombie (state Z) has ended and only waits for its parent to
 * collect its exit status; on these machines PID 1 never collects orphans, so zombies stay.
 */
export function isRunning(pid: number | string): boolean {
  const state = procStat(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** The processes among `pids`, and the members of their process groups, that still run. */
export function stillRunning(pids: readonly number[]): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && isRunning(entry))
    .map(Number)
    .filter((pid) => pids.includes(pid) || pids.includes(Number(procStat(pid)?.[2])));
}

/** Asserts that the processes and everything in their process groups end within a few seconds. */
export async function assertNoProcessLeft(pids: readonly number[]): Promise<void> {
  await waitUntil(() => stillRunning(pids).length === 0, { timeoutMs: 5000, what: 'the processes to end' }).catch(() =>
    assert.fail(`still running: ${stillRunning(pids).join(', ')}`),
  );
}
