import { randomFillSync } from 'node:crypto';

/** Random bytes in every ID: 144 bits, which base64url-encodes without padding. */
const ID_BYTES = 18;
const ID_BODY_LENGTH = 24;
const SESSION_PREFIX = 'sess_';
const THREAD_PREFIX = 'thrd_';
const SESSION_ID_PATTERN = /^sess_[A-Za-z0-9_-]{24}$/;
const THREAD_ID_PATTERN = /^thrd_[A-Za-z0-9_-]{24}$/;

/** The length of every session and thread ID, prefix included. */
export const ID_LENGTH = SESSION_PREFIX.length + ID_BODY_LENGTH;

// Random bytes are drawn from the OS in blocks, as crypto.randomUUID does: one system
// call per 256 IDs instead of one per ID. Each byte is used once.
const POOL_IDS = 256;
const pool = Buffer.alloc(ID_BYTES * POOL_IDS);
let poolOffset = pool.length;

function randomBody(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const body = pool.toString('base64url', poolOffset, poolOffset + ID_BYTES);
  poolOffset += ID_BYTES;
  return body;
}

/** Returns a new session ID: `sess_` and 144 random bits from a cryptographic source, URL-safe (29 characters). */
export function newSessionId(): string {
  return SESSION_PREFIX + randomBody();
}

/** Returns a new thread ID: `thrd_` and 144 random bits from a cryptographic source, URL-safe (29 characters). */
export function newThreadId(): string {
  return THREAD_PREFIX + randomBody();
}

/** Whether `value` is a well-formed session ID. Accepts anything; never throws. */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && value.length === ID_LENGTH && SESSION_ID_PATTERN.test(value);
}

/** Whether `value` is a well-formed thread ID. Accepts anything; never throws. */
export function isThreadId(value: unknown): value is string {
  return typeof value === 'string' && value.length === ID_LENGTH && THREAD_ID_PATTERN.test(value);
}

/** Describes a value by its kind only, never its content (which may be a secret). */
export function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string of ${value.length} characters that is not a valid ID`;
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
