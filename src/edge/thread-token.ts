import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { systemClock, type Clock } from '../internal/clock.js';
import { ID_LENGTH, isThreadId, newThreadId } from '../session/ids.js';

const SIGNATURE_LENGTH = 43; // base64url of 32 bytes (HMAC-SHA256)
/** Tokens remembered as verified (signed here, or checked once): a conversation sends its token back on every turn. */
const VERIFIED_CACHE_SIZE = 4096;
/** Issue times are whole seconds since the epoch in base36: 6 characters until 2038, 8 at most. */
const MAX_ISSUED_LENGTH = 8;
const ISSUED_PATTERN = /^[0-9a-z]{1,8}$/;
/** The longest thread token: `thrd_…` + `.` + issue time + `.` + signature. */
export const MAX_THREAD_TOKEN_LENGTH = ID_LENGTH + 1 + MAX_ISSUED_LENGTH + 1 + SIGNATURE_LENGTH;

/** Most tokens of new threads signed in one go, when new threads come quickly. */
const MAX_SIGNED_AHEAD = 8;

/** A new thread, with its token. */
export interface NewThread {
  readonly threadId: string;
  readonly token: string;
}

/** What a verified token says. */
export interface VerifiedThreadToken {
  /** The thread ID it carries. */
  readonly threadId: string;
  /** When it was signed, in ms since the epoch (rounded down to the second). */
  readonly issuedAt: number;
}

/**
 * Signs and checks thread tokens (`thrd_….<issued>.<HMAC-SHA256>`), the form in which a
 * thread ID travels in the cookie and the `x-thread-id` header: a client can send back a
 * thread it was given, never make up or guess one, nor make a token look younger than it is
 * (the issue time is inside the signature).
 */
export class ThreadTokenCodec {
  // A KeyObject made once: `createHmac` given a Buffer makes one per call, which on Node 24
  // costs about 25 µs, ten times the HMAC itself.
  private readonly key: KeyObject;
  // Tokens checked once and found good, oldest first: a conversation's later turns are
  // verified by a map lookup, not an HMAC, since a client sends the same token back until it
  // is signed again. Only tokens that come back are kept: a token signed here goes in at its
  // first return, not when signed, because most tokens of clients that keep no cookie never
  // come back, and a cache churned at every new thread cost more (in garbage collection)
  // than the one HMAC a returning token then takes.
  private readonly verified = new Map<string, VerifiedThreadToken>();
  // New threads signed ahead, all issued in `aheadSecond`: under load the first HMAC of a run
  // costs several times the next ones (likely because its code and tables have left the
  // CPU's caches), so new threads that come quickly are signed in runs of up to
  // MAX_SIGNED_AHEAD. The run doubles each time the threads signed ahead run out within their
  // second, and starts at one again in a new second: a quiet service signs one at a time.
  private ahead: NewThread[] = [];
  private aheadSecond = -1;
  private runLength = 1;

  /**
   * @param secret at least 32 characters; keep it the same across the service's processes.
   * @param clock where issue times come from. @default Date.now
   */
  constructor(
    secret: string | Buffer,
    private readonly clock: Clock = systemClock,
  ) {
    if (secret.length < 32)
      throw new RangeError('otel-sessions: the thread signing secret must be at least 32 characters');
    this.key = createSecretKey(Buffer.from(secret));
  }

  /** The signed token for a thread ID, issued now. */
  sign(threadId: string): string {
    return this.token(threadId, Math.floor(this.clock() / 1000).toString(36));
  }

  /**
   * A new thread ID and its token, issued now. Tokens are issued in whole seconds, so a token
   * signed ahead within the same second is the very token `sign` would make now.
   */
  newThread(): NewThread {
    const second = Math.floor(this.clock() / 1000);
    if (second !== this.aheadSecond) {
      this.aheadSecond = second;
      this.ahead = [];
      this.runLength = 1;
    }
    const next = this.ahead.pop();
    if (next !== undefined) return next;
    const issued = second.toString(36);
    const run: NewThread[] = [];
    for (let i = 0; i < this.runLength; i++) {
      const threadId = newThreadId();
      run.push({ threadId, token: this.token(threadId, issued) });
    }
    this.runLength = Math.min(MAX_SIGNED_AHEAD, this.runLength * 2);
    const first = run.pop() as NewThread;
    this.ahead = run;
    return first;
  }

  /** What a token says, or `undefined` when it is malformed or badly signed. Bounded work for any input. */
  verify(token: unknown): VerifiedThreadToken | undefined {
    if (typeof token !== 'string' || token.length > MAX_THREAD_TOKEN_LENGTH || token[ID_LENGTH] !== '.')
      return undefined;
    const known = this.verified.get(token);
    if (known !== undefined) return known;
    const threadId = token.slice(0, ID_LENGTH);
    const dot = token.indexOf('.', ID_LENGTH + 1);
    if (dot < 0 || !isThreadId(threadId)) return undefined;
    const issued = token.slice(ID_LENGTH + 1, dot);
    if (!ISSUED_PATTERN.test(issued)) return undefined;
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.signature(threadId, issued));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const verified = { threadId, issuedAt: parseInt(issued, 36) * 1000 };
    this.remember(token, verified);
    return verified;
  }

  /** How old a verified token is now, in ms (never negative: a clock behind the signer's counts as 0). */
  ageOf(verified: VerifiedThreadToken): number {
    return Math.max(0, this.clock() - verified.issuedAt);
  }

  private remember(token: string, verified: VerifiedThreadToken): void {
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(token, verified);
  }

  /** The token of `threadId` issued at `issued` (whole seconds, base 36). */
  private token(threadId: string, issued: string): string {
    return `${threadId}.${issued}.${this.signature(threadId, issued)}`;
  }

  private signature(threadId: string, issued: string): string {
    return createHmac('sha256', this.key).update(`${threadId}.${issued}`).digest('base64url');
  }
}
