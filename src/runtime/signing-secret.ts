import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../internal/private-dir.js';

/** The fewest characters a thread signing secret may have. */
export const MIN_SECRET_LENGTH = 32;

/** How to make a secret, for error messages. */
const HOW_TO_MAKE_ONE = 'make one with `openssl rand -base64 48`';

/** The file, inside the journal folder, that keeps a generated secret. */
export const SECRET_FILE_NAME = 'secret';

/** What settles the signing secret. @internal */
export interface SigningSecretSource {
  /** OTEL_SESSIONS_SECRET (already checked to be long enough), if set. */
  configured: string | undefined;
  /** Whether NODE_ENV is `production`. */
  production: boolean;
  /** The journal folder, where a generated secret is kept. */
  journalDir: string;
  /** Where the one warning about a generated secret goes. */
  warn: (message: string) => void;
}

/**
 * The secret that signs thread tokens: OTEL_SESSIONS_SECRET when set; else, outside
 * production, the one kept in `<journalDir>/secret` (made there at the first start, owner
 * only), with one warning; in production, none: it throws, naming the variable.
 * @throws {Error} in production without a secret, or when the kept file holds no usable secret.
 * @internal
 */
export function resolveSigningSecret(source: SigningSecretSource): string {
  if (source.configured !== undefined) return source.configured;
  if (source.production) {
    throw new Error(
      'otel-sessions: OTEL_SESSIONS_SECRET is not set and NODE_ENV is production. Thread cookies and headers are ' +
        `signed with it, and every process of the service needs the same one: ${HOW_TO_MAKE_ONE} and set it ` +
        '(or pass sessions({ secret })).',
    );
  }
  const { secret, path, created } = keptSecret(source.journalDir);
  source.warn(
    `OTEL_SESSIONS_SECRET is not set: thread cookies are signed with the secret ${created ? 'generated now and ' : ''}` +
      `kept in ${path}, so threads survive restarts on this host. Processes on other hosts need the same secret: ` +
      `set OTEL_SESSIONS_SECRET on every host (${HOW_TO_MAKE_ONE})`,
  );
  return secret;
}

/**
 * The secret kept in `<dir>/secret`, made if missing (folder 0700, file 0600). Processes
 * starting at once all end with the same one: the file appears whole or not at all (written
 * aside, then hard-linked into place, which fails if another process got there first, and
 * then that one's is read).
 * @internal
 */
export function keptSecret(dir: string): { secret: string; path: string; created: boolean } {
  const path = join(dir, SECRET_FILE_NAME);
  const existing = readSecretFile(path);
  if (existing !== undefined) return { secret: existing, path, created: false };

  ensurePrivateDir(dir);
  const fresh = randomBytes(48).toString('base64url');
  const aside = join(dir, `${SECRET_FILE_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(aside, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(aside, path);
    } catch (error) {
      if (errorCode(error) === 'EEXIST')
        return { secret: readSecretFile(path) ?? unusable(path), path, created: false };
      if (errorCode(error) !== 'EPERM' && errorCode(error) !== 'ENOTSUP') throw error;
      // A file system without hard links: create in place, exclusively.
      try {
        writeFileSync(path, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
      } catch (inner) {
        if (errorCode(inner) !== 'EEXIST') throw inner;
        return { secret: readSecretFile(path) ?? unusable(path), path, created: false };
      }
    }
    return { secret: fresh, path, created: true };
  } finally {
    rmSync(aside, { force: true });
  }
}

/** The secret in `path`, or `undefined` when there is no such file. */
function readSecretFile(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const secret = text.trim();
  return secret.length >= MIN_SECRET_LENGTH ? secret : unusable(path);
}

function unusable(path: string): never {
  throw new Error(
    `otel-sessions: ${path} does not hold a usable thread signing secret (fewer than ${MIN_SECRET_LENGTH} characters): ` +
      'delete it to have a new one made, or set OTEL_SESSIONS_SECRET',
  );
}

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/**
 * Checks OTEL_SESSIONS_SECRET: unset or blank is `undefined`; shorter than 32 characters
 * fails at once (unlike other variables, a bad secret is not ignored: that would sign
 * with a different secret in each process, and threads would break silently).
 * @throws {Error} naming the variable and how to make a secret.
 * @internal
 */
export function checkedSecret(value: string | undefined): string | undefined {
  const secret = value?.trim();
  if (!secret) return undefined;
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(
      `otel-sessions: OTEL_SESSIONS_SECRET must be at least ${MIN_SECRET_LENGTH} characters (it has ${secret.length}): ${HOW_TO_MAKE_ONE}`,
    );
  }
  return secret;
}
