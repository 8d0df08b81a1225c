import type winston from 'winston';
import { currentRuntime } from '../session/sessions-runtime.js';
import type { Session } from '../session/session.js';
import type { Thread } from '../thread/thread.js';

/** What the framework adapters put on a request: Express `res.locals`, Koa `ctx.state`, a Fastify request. */
export interface SessionLocals {
  /** The request's session ID (`sess_…`). */
  sessionId: string;
  /** The conversation's thread ID (`thrd_…`). */
  threadId: string;
  /** The request's session: `state`, `metadata`, `waitUntil`. */
  session: Session;
  /** The conversation the request belongs to: `state` persisted across its turns. */
  thread: Thread;
  /** A winston logger whose records carry the session and thread IDs. */
  logger: winston.Logger;
}

/** The locals of `session`. @internal */
export function sessionLocals(session: Session): SessionLocals {
  return {
    sessionId: session.id,
    threadId: session.thread.id,
    session,
    thread: session.thread,
    logger: currentRuntime().logger,
  };
}
