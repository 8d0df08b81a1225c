import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ID_LENGTH, isThreadId } from '../session/ids.js';

const SIGNATURE_LENGTH = 43; // base64url of 32 bytes (HMAC-SHA256)
/** The length of every thread token: `thrd_…` + `.` + signature. */
export const THREAD_TOKEN_LENGTH = ID_LENGTH + 1 + SIGNATURE_LENGTH;

/**
 * Signs and checks thread tokens (`thrd_….<HMAC-SHA256>`), the form in which a thread
 * ID travels in the cookie and the `x-thread-id` header: a client can send back a thread
 * it was given, never make up or guess one.
 */
export class ThreadTokenCodec {
  // A KeyObject made once: `createHmac` given a Buffer makes one per call, which on Node 24
  // costs about 25 µs, ten times the HMAC itself.
  private readonly key: KeyObject;

  /** @param secret at least 32 characters; keep it the same across the service's processes. */
  constructor(secret: string | Buffer) {
    if (secret.length < 32)
      throw new RangeError('otel-sessions: the thread signing secret must be at least 32 characters');
    this.key = createSecretKey(Buffer.from(secret));
  }

  /** A random secret, for a single process that was given none. */
  static randomSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  /** The signed token for a thread ID. */
  sign(threadId: string): string {
    return `${threadId}.${this.signature(threadId)}`;
  }

  /** The thread ID in a token, or `undefined` when it is malformed or badly signed. Bounded work for any input. */
  verify(token: unknown): string | undefined {
    if (typeof token !== 'string' || token.length !== THREAD_TOKEN_LENGTH || token[ID_LENGTH] !== '.') return undefined;
    const threadId = token.slice(0, ID_LENGTH);
    if (!isThreadId(threadId)) return undefined;
    const given = Buffer.from(token.slice(ID_LENGTH + 1));
    const expected = Buffer.from(this.signature(threadId));
    return given.length === expected.length && timingSafeEqual(given, expected) ? threadId : undefined;
  }

  private signature(threadId: string): string {
    return createHmac('sha256', this.key).update(threadId).digest('base64url');
  }
}
