import { diag } from '@opentelemetry/api';
import { mkdirSync, statSync } from 'node:fs';

/** Folders already checked in this process: each is warned about once at most. */
const checked = new Set<string>();

/**
 * Makes `dir` (and any missing parent) readable by its owner only (0700), as the journal,
 * spool, secret and thread store hold what users typed. A folder that already exists with
 * wider permissions is left as it is, with one warning saying how to close it.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (checked.has(dir)) return;
  checked.add(dir);
  try {
    const mode = statSync(dir).mode & 0o777;
    if ((mode & 0o077) !== 0)
      diag.warn(
        `otel-sessions: ${dir} is open to other users (mode ${mode.toString(8)}); it holds telemetry and thread state, which may include what users typed: chmod 700 ${dir}`,
      );
  } catch {
    // Gone again, or unreadable: the write that follows reports it.
  }
}

/** Owner only: read, write and enter. */
export const PRIVATE_DIR_MODE = 0o700;
/** Owner only: read and write. */
export const PRIVATE_FILE_MODE = 0o600;
