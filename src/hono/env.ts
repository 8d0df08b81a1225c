import type winston from 'winston';
import type { Session } from '../session/session.js';
import type { Thread } from '../thread/thread.js';

/** The variables `sessions()` sets on a Hono context. */
export interface SessionVariables {
  /** The request's session ID (`sess_…`). */
  sessionId: string;
  /** The conversation's thread ID (`thrd_…`). */
  threadId: string;
  /** A winston logger whose records carry the session and thread IDs. */
  logger: winston.Logger;
  /** The request's session. */
  session: Session;
  /** The conversation the request belongs to. */
  thread: Thread;
}

/**
 * The Hono environment of an app using the `sessions()` middleware:
 * `new Hono<SessionsEnv>()` types `c.var.sessionId`, `c.var.logger`, `c.var.session`,
 * `c.var.thread`. Named so as not to shadow Hono's own `Env`.
 */
export interface SessionsEnv {
  /** What `c.var` holds. */
  Variables: SessionVariables;
}

/**
 * {@link SessionsEnv} under the name the sessions guide uses (`import type { Env }`, then
 * `new Hono<Env>()`): the same type. Elsewhere prefer `SessionsEnv`, which does not shadow
 * Hono's own `Env`.
 */
export type Env = SessionsEnv;
